using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ClaudeSessionSidecar.Tests.Store;

public sealed class SessionStoreTests : IDisposable
{
    private readonly TestEnvironment environment = new();

    public void Dispose() => environment.Dispose();

    [Fact]
    public void Keeps_a_record_and_lists_a_users_sessions_newest_activity_first()
    {
        var store = SessionStore.Open(environment.StoreDirectory);
        var older = Record("alice", "/w/a", DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var newer = Record("alice", "/w/b", DateTimeOffset.Parse("2026-01-02T00:00:00Z"));
        store.Insert(older);
        store.Insert(newer);
        store.Insert(Record("bob", "/w/a", DateTimeOffset.Parse("2026-01-03T00:00:00Z")));

        Assert.Equal(older, store.Get(older.SessionId));
        Assert.Equal([newer.SessionId, older.SessionId], store.List("alice", null).Select(r => r.SessionId));
        Assert.Equal([older.SessionId], store.List("alice", "/w/a").Select(r => r.SessionId));
    }

    [Fact]
    public void Activity_moves_forward_never_back()
    {
        var store = SessionStore.Open(environment.StoreDirectory);
        var record = Record("alice", "/w", DateTimeOffset.Parse("2026-01-02T00:00:00Z"));
        store.Insert(record);

        store.TurnEnded(record.SessionId, DateTimeOffset.Parse("2026-01-01T00:00:00Z"), costUsd: null);
        Assert.Equal(record.LastActiveAt, store.Get(record.SessionId)!.LastActiveAt);

        store.TurnEnded(record.SessionId, DateTimeOffset.Parse("2026-01-05T00:00:00Z"), costUsd: null);
        Assert.Equal(DateTimeOffset.Parse("2026-01-05T00:00:00Z"), store.Get(record.SessionId)!.LastActiveAt);
    }

    [Fact]
    public void A_listing_kept_from_the_last_is_read_again_after_any_commit_here_or_in_another_process()
    {
        var store = SessionStore.OpenKeepingListings(environment.StoreDirectory);
        var other = SessionStore.Open(environment.StoreDirectory);
        var first = Record("alice", "/w", DateTimeOffset.Parse("2026-01-02T00:00:00Z"));
        store.Insert(first);
        Assert.Same(store.List("alice", "/w"), store.List("alice", "/w"));
        Assert.Same(store.AllSessionIds(), store.AllSessionIds());
        Assert.NotSame(other.List("alice", "/w"), other.List("alice", "/w")); // a store opened plainly keeps nothing

        // Another store on the file (another server process) inserts, touches and deletes: each is seen at once.
        var second = Record("alice", "/w", DateTimeOffset.Parse("2026-01-03T00:00:00Z"));
        other.Insert(second);
        Assert.Equal([second.SessionId, first.SessionId], store.List("alice", "/w").Select(r => r.SessionId));
        Assert.Contains(second.SessionId, store.AllSessionIds());
        other.TurnEnded(first.SessionId, DateTimeOffset.Parse("2026-01-04T00:00:00Z"), costUsd: null);
        Assert.Equal([first.SessionId, second.SessionId], store.List("alice", "/w").Select(r => r.SessionId));
        other.Delete(second.SessionId);
        Assert.Equal([first.SessionId], store.List("alice", "/w").Select(r => r.SessionId));
        Assert.DoesNotContain(second.SessionId, store.AllSessionIds());

        // And its own writes.
        store.SetTitle(first.SessionId, "renamed");
        Assert.Equal("renamed", Assert.Single(store.List("alice", "/w")).Title);
        Assert.Empty(store.List("bob", "/w"));
    }

    [Fact]
    public void The_end_of_a_turn_moves_activity_forward_and_keeps_the_cost_when_there_is_one()
    {
        var store = SessionStore.Open(environment.StoreDirectory);
        var record = Record("alice", "/w", DateTimeOffset.Parse("2026-01-02T00:00:00Z"));
        store.Insert(record);

        store.TurnEnded(record.SessionId, DateTimeOffset.Parse("2026-01-03T00:00:00Z"), 0.25);
        store.TurnEnded(record.SessionId, DateTimeOffset.Parse("2026-01-01T00:00:00Z"), null);

        Assert.Equal(DateTimeOffset.Parse("2026-01-03T00:00:00Z"), store.Get(record.SessionId)!.LastActiveAt);
        Assert.Equal(0.25, store.Costs([record.SessionId])[record.SessionId]);
        store.TurnEnded(record.SessionId, DateTimeOffset.Parse("2026-01-04T00:00:00Z"), 0.5);
        Assert.Equal(0.5, store.Costs([record.SessionId])[record.SessionId]);
    }

    [Fact]
    public void Opens_in_WAL_mode_with_a_versioned_schema_readable_by_its_owner_alone()
    {
        var directory = Path.Combine(environment.Root, "new-store");
        var store = SessionStore.Open(directory);
        store.Insert(Record("alice", "/w", DateTimeOffset.UtcNow));

        Assert.Equal(SessionStore.SchemaVersion, store.ReadSchemaVersion());
        using var connection = new SqliteConnection($"Data Source={store.DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)command.ExecuteScalar()!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.DatabasePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
    }

    [Fact]
    public void Version_5_keys_the_mirror_bookkeeping_by_transcript_keeping_the_pending_ones()
    {
        // The version-4 tables, keyed by session alone.
        SessionStore.Open(environment.StoreDirectory, schemaVersion: 4);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(environment.StoreDirectory, SessionStore.FileName)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO pending_mirrors VALUES ('s1', '/config-a/projects/p/s1.jsonl', 1);
                INSERT INTO mirrored_transcripts VALUES ('s2', 7, 100, 200);
                """;
            command.ExecuteNonQuery();
        }

        var store = SessionStore.Open(environment.StoreDirectory);

        Assert.Equal(SessionStore.SchemaVersion, store.ReadSchemaVersion());
        Assert.Equal([("s1", "/config-a/projects/p/s1.jsonl")], store.PendingMirrors());
        Assert.Empty(store.AllMirrored());

        // One session, two config folders: two rows, neither the other's.
        store.MarkPendingMirror("s1", "/config-b/projects/p/s1.jsonl", DateTimeOffset.UnixEpoch.AddMilliseconds(2));
        store.SaveMirrored("/config-a/projects/p/s2.jsonl", "s2", 8, 1, 2);
        store.SaveMirrored("/config-b/projects/p/s2.jsonl", "s2", 9, 3, 4);
        store.ClearPendingMirror("/config-a/projects/p/s1.jsonl");
        Assert.Equal([("s1", "/config-b/projects/p/s1.jsonl")], store.PendingMirrors());
        Assert.Equal((8L, 1L, 2L), store.GetMirrored("/config-a/projects/p/s2.jsonl"));
        Assert.Equal((9L, 3L, 4L), store.GetMirrored("/config-b/projects/p/s2.jsonl"));
    }

    [Fact]
    public void Refuses_a_store_written_by_a_newer_schema()
    {
        SessionStore.Open(environment.StoreDirectory);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(environment.StoreDirectory, SessionStore.FileName)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SessionStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidOperationException>(() => SessionStore.Open(environment.StoreDirectory));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_writers_at_once_lose_no_record()
    {
        // Separate store objects stand for separate server processes sharing one file.
        var stores = Enumerable.Range(0, 4).Select(_ => SessionStore.Open(environment.StoreDirectory)).ToList();
        var records = Enumerable.Range(0, 100).Select(i => Record("alice", "/w", DateTimeOffset.UtcNow.AddSeconds(i))).ToList();

        await Task.WhenAll(records.Select((record, i) => Task.Run(() => stores[i % stores.Count].Insert(record))));

        Assert.Equal(records.Select(r => r.SessionId).Order(), stores[0].List("alice", null).Select(r => r.SessionId).Order());
    }

    [Fact]
    public async Task A_secret_is_made_once_and_every_opening_of_the_store_gets_the_same()
    {
        // Separate store objects stand for separate server processes sharing one file.
        var stores = Enumerable.Range(0, 4).Select(_ => SessionStore.Open(environment.StoreDirectory)).ToList();

        var secrets = await Task.WhenAll(stores.Select(store => Task.Run(() => store.Secret("cursor"))));

        Assert.Equal(32, secrets[0].Length);
        Assert.All(secrets, secret => Assert.Equal(secrets[0], secret));
        Assert.Equal(secrets[0], SessionStore.Open(environment.StoreDirectory).Secret("cursor"));
        Assert.NotEqual(secrets[0], stores[0].Secret("another name"));
        Assert.NotEqual(secrets[0], SessionStore.Open(Path.Combine(environment.Root, "another-store")).Secret("cursor"));
    }

    [Fact]
    public void A_store_of_the_schema_before_secrets_is_migrated_and_its_records_kept()
    {
        var record = Record("alice", "/w", DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var old = SessionStore.Open(environment.StoreDirectory, schemaVersion: 5);
        old.Insert(record);
        Assert.Equal(5, old.ReadSchemaVersion());

        var store = SessionStore.Open(environment.StoreDirectory);

        Assert.Equal(SessionStore.SchemaVersion, store.ReadSchemaVersion());
        Assert.Equal(32, store.Secret("cursor").Length);
        Assert.Equal(record, store.Get(record.SessionId));
    }

    [Fact]
    public void Sessions_active_in_one_millisecond_are_listed_higher_id_first()
    {
        var store = SessionStore.Open(environment.StoreDirectory);
        var at = DateTimeOffset.Parse("2026-01-01T00:00:00.123Z");
        var records = Enumerable.Range(0, 20).Select(_ => Record("alice", "/w", at)).ToList();
        records.ForEach(store.Insert);

        Assert.Equal(records.Select(r => r.SessionId).Order(StringComparer.Ordinal).Reverse(), store.List("alice", null).Select(r => r.SessionId));
    }

    private static SessionRecord Record(string user, string cwd, DateTimeOffset at) =>
        new(Guid.NewGuid().ToString(), user, cwd, cwd, at, at, "title", "first prompt");
}
