using ClaudeSessionSidecar.Engine.Store;
using Npgsql;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>The PostgreSQL store on its own: addresses, the schema's version, lines by key, and the advisory lock.</summary>
public sealed class PostgresStoreTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private const string SessionId = "5b7f2c1e-0a4d-4c7e-9a61-3f1d2e8b9c00";

    [Fact]
    public void A_postgres_url_becomes_a_connection_string_with_each_part()
    {
        var parsed = new NpgsqlConnectionStringBuilder(PostgresStore.ToConnectionString("postgres://me:p%40ss@db.example:6543/team%20sessions?sslmode=require&application_name=sidecar"));

        Assert.Equal("db.example", parsed.Host);
        Assert.Equal(6543, parsed.Port);
        Assert.Equal("me", parsed.Username);
        Assert.Equal("p@ss", parsed.Password);
        Assert.Equal("team sessions", parsed.Database);
        Assert.Equal(SslMode.Require, parsed.SslMode);
        Assert.Equal("sidecar", parsed.ApplicationName);
        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(PostgresStore.ToConnectionString("postgresql://db/x")).Port);
    }

    [Theory]
    [InlineData("postgres:///nohost")]
    [InlineData("mysql://db/x")]
    [InlineData("postgres://db/x?no_such_option=1")]
    public void An_unusable_address_is_refused_with_what_it_must_be(string store)
    {
        Assert.ThrowsAny<ArgumentException>(() => PostgresStore.ToConnectionString(store));
    }

    [Fact]
    public void Lines_are_kept_in_order_by_key_once_per_uuid_and_bump_the_version()
    {
        using var store = PostgresStore.Open(server.CreateDatabase());
        store.Insert(Record());
        MirrorEntry Line(string? uuid, string text) => new(uuid, $$"""{"type":"user","uuid":{{(uuid is null ? "null" : $"\"{uuid}\"")}},"text":"{{text}}"}""");

        store.Write("-work", SessionId, "", [Line("u1", "one"), Line("u2", "two")], MirrorWrite.Append);
        store.Write("-work", SessionId, "", [Line("u2", "two again"), Line(null, "no uuid"), Line(null, "no uuid")], MirrorWrite.Append);
        store.Write("-work", SessionId, "subagents/agent-a1", [Line("s1", "inside")], MirrorWrite.Append);

        Assert.Equal(["one", "two", "no uuid", "no uuid"], store.Load("-work", SessionId, "").Select(TextOf));
        Assert.Equal(["", "subagents/agent-a1"], store.Subpaths("-work", SessionId));
        Assert.Equal(3, store.Get(SessionId)!.Shared!.Version);

        store.Write("-work", SessionId, "", [Line("u1", "replaced")], MirrorWrite.Replace);
        Assert.Equal(["replaced"], store.Load("-work", SessionId, "").Select(TextOf));
        Assert.Empty(store.Load("-other", SessionId, ""));

        store.Delete(SessionId);
        Assert.Null(store.Get(SessionId));
        Assert.Empty(store.Subpaths("-work", SessionId));
    }

    [Fact]
    public void The_end_of_a_turn_moves_activity_forward_and_keeps_the_cost_when_there_is_one()
    {
        using var store = PostgresStore.Open(server.CreateDatabase());
        var record = Record();
        store.Insert(record);

        store.TurnEnded(SessionId, record.LastActiveAt.AddHours(1), 0.25);
        store.TurnEnded(SessionId, record.LastActiveAt.AddHours(-1), null);

        Assert.Equal(record.LastActiveAt.AddHours(1), store.Get(SessionId)!.LastActiveAt);
        Assert.Equal(0.25, store.Costs([SessionId])[SessionId]);
        store.TurnEnded(SessionId, record.LastActiveAt.AddHours(2), 0.5);
        Assert.Equal(0.5, store.Costs([SessionId])[SessionId]);
    }

    [Fact]
    public async Task A_row_whose_id_is_not_a_session_id_is_never_listed()
    {
        var database = server.CreateDatabase();
        using var store = PostgresStore.Open(database);
        store.Insert(Record());
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "INSERT INTO sidecar_sessions (session_id, user_id, project_key, working_directory, real_working_directory, created_at_ms, last_active_at_ms, title, first_prompt) VALUES ('../../../etc/passwd', 'alice', 'x', '/work', '/work', 0, 1, 't', 'p')",
                connection);
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal([SessionId], store.List("alice", realWorkingDirectory: null).Select(record => record.SessionId));
    }

    [Fact]
    public void The_advisory_lock_is_held_once_until_released()
    {
        var database = server.CreateDatabase();
        using var first = PostgresStore.Open(database);
        using var second = PostgresStore.Open(database);

        var held = first.TryLock(SessionId);
        Assert.NotNull(held);
        Assert.Null(second.TryLock(SessionId));
        Assert.Null(first.TryLock(SessionId));
        held.Dispose();
        using var again = second.TryLock(SessionId);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task A_newer_schema_is_refused_and_a_database_that_is_down_is_unavailable()
    {
        var database = server.CreateDatabase();
        PostgresStore.Open(database).Dispose();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE sidecar_schema SET version = 99", connection);
            await command.ExecuteNonQueryAsync();
        }

        var newer = Assert.Throws<StoreSchemaException>(() => PostgresStore.Open(database));
        Assert.Contains("newer than this server's", newer.Message, StringComparison.Ordinal);

        var elsewhere = new NpgsqlConnectionStringBuilder(server.CreateDatabase()) { Port = FreePort() }.ConnectionString;
        using var unreachable = PostgresStore.Open(elsewhere);
        Assert.Throws<StoreUnavailableException>(() => unreachable.Get(SessionId));
    }

    [Fact]
    public async Task A_secret_is_made_once_and_every_server_on_the_database_gets_the_same()
    {
        var database = server.CreateDatabase();
        var stores = Enumerable.Range(0, 4).Select(_ => PostgresStore.Open(database)).ToList();
        try
        {
            var secrets = await Task.WhenAll(stores.Select(store => Task.Run(() => store.Secret("cursor"))));

            Assert.Equal(32, secrets[0].Length);
            Assert.All(secrets, secret => Assert.Equal(secrets[0], secret));
            Assert.NotEqual(secrets[0], stores[0].Secret("another name"));
            using var elsewhere = PostgresStore.Open(server.CreateDatabase());
            Assert.NotEqual(secrets[0], elsewhere.Secret("cursor"));
        }
        finally
        {
            stores.ForEach(store => store.Dispose());
        }
    }

    [Fact]
    public async Task A_database_of_schema_1_is_migrated_to_the_secrets_and_its_sessions_kept()
    {
        var database = server.CreateDatabase();
        using (var first = PostgresStore.Open(database, schemaVersion: 1))
        {
            first.Insert(Record());
        }

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT version FROM sidecar_schema", connection);
            Assert.Equal(1, await command.ExecuteScalarAsync());
        }

        using var store = PostgresStore.Open(database);

        Assert.Equal(32, store.Secret("cursor").Length);
        Assert.Equal(Record(), store.Get(SessionId)! with { Shared = null });
    }

    [Fact]
    public void Sessions_active_in_one_millisecond_are_listed_higher_id_first_by_code_point()
    {
        using var store = PostgresStore.Open(server.CreateDatabase());
        var ids = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid().ToString()).ToList();
        ids.ForEach(id => store.Insert(Record() with { SessionId = id }));

        Assert.Equal(ids.Order(StringComparer.Ordinal).Reverse(), store.List("alice", realWorkingDirectory: null).Select(record => record.SessionId));
    }

    private static SessionRecord Record() => new(SessionId, "alice", "/work", "/work", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "title", "prompt");

    private static string TextOf(string json) => (string)Engine.Transcripts.TranscriptLines.Parse(json)["text"]!;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
