using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Npgsql;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// The search index of the PostgreSQL store's copies on its own, over crafted transcripts stored as a server stores
/// them, on a real PostgreSQL (initdb <c>--no-locale</c>: the C locale, whose <c>lower()</c> folds ASCII alone).
/// </summary>
public sealed class PostgresSearchIndexTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private const string First = "5b7f2c1e-0a4d-4c7e-9a61-3f1d2e8b9c00";
    private const string Second = "6c8a3d2f-1b5e-4d8f-8b72-4a2e3f9c0d11";

    private static readonly string Haystack = string.Join(' ', Enumerable.Repeat("filler", 20_000)) + " the needle in a haystack";

    [Fact]
    public void Matching_keeps_the_search_rules_whatever_the_databases_locale()
    {
        using var store = PostgresStore.Open(server.CreateDatabase());
        var index = new PostgresSearchIndex(store);
        Store(store, First,
            ("user", "Die Überprüfung von Auftrag 8143 läuft; see example.com/path and foo-bar"),
            ("assistant", "We met at the école near the zebrafish tank, or maybe not!? 50% done"),
            ("user", Haystack));
        Store(store, Second, ("user", "only the zebrafish here, and Ⓐ circled"));

        Assert.Equal(2, index.Update([First, Second]));
        Assert.Equal(0, index.Update([First, Second]));
        // The database's own folding would not do: in the C locale lower() folds ASCII alone.
        Assert.Equal(true, Scalar(store, "SELECT lower('ÜBERPRÜFUNG') = 'ÜberprÜfung' AND current_setting('lc_ctype') = 'C'"));
        Assert.Equal(2L, Scalar(store, "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%' AND tablename = 'sidecar_search_messages'"));

        string[] Hits(string query) => index.Find(SearchQuery.Parse(query), [First, Second]).Order(StringComparer.Ordinal).ToArray();
        string[] both = [First, Second];
        Assert.Equal([First], Hits("ÜBERPRÜFUNG"));                   // folded for all of Unicode
        Assert.Equal([First], Hits("überprüfung läuft"));
        Assert.Equal([First], Hits("ÉCOLE"));
        Assert.Empty(Hits("ecole"));                                 // accents kept
        Assert.Equal([First], Hits("8143"));
        Assert.Empty(Hits("814"));                                   // whole words
        Assert.Empty(Hits("zebra"));
        Assert.Equal([First], Hits("\"auftrag 8143\""));
        Assert.Empty(Hits("\"8143 auftrag\""));                      // a phrase is in order
        Assert.Equal([First], Hits("\"läuft see example\""));        // punctuation between a phrase's words aside
        Assert.Equal([First], Hits("example com path"));             // what PostgreSQL's parser would keep as one host or path
        Assert.Equal([First], Hits("foo-bar"));
        Assert.Equal([First], Hits("\"foo bar\""));
        Assert.Equal([First], Hits("zebrafish 8143"));               // in two messages
        Assert.Equal(both, Hits("zebrafish"));
        Assert.Equal([First], Hits("NEAR"));                         // operators are words
        Assert.Empty(Hits("zebrafish OR quokka"));
        Assert.Equal(both, Hits("-zebrafish*"));
        Assert.Equal([First], Hits("\"zebrafish tank"));             // a quote that never closes
        Assert.Equal([First], Hits("!?"));                           // punctuation alone, as written
        Assert.Equal([First], Hits("%"));                            // LIKE's wildcards are characters
        Assert.Empty(Hits("_"));
        Assert.Empty(Hits("*"));
        Assert.Empty(Hits("\"\""));
        Assert.Equal([Second], Hits("ⓐ"));                           // no letter, folded
        Assert.Equal([First], Hits("\"needle in a haystack\""));     // past 16,383 words, where tsvector positions end
        Assert.Empty(Hits("\"filler needle\""));

        var matches = index.Matches(SearchQuery.Parse("zebrafish haystack"), [First, Second], limit: 5);
        Assert.Equal(["assistant", "user"], matches[First].Select(match => match.Type));
        Assert.Equal(["a2", "u3"], matches[First].Select(match => match.Uuid));
        Assert.Equal("We met at the école near the zebrafish tank, or maybe not!? 50% done", matches[First][0].Snippet);
        Assert.Equal("2026-11-26T12:22:44.002Z", matches[First][0].Timestamp);
        var cut = matches[First][1].Snippet;
        Assert.StartsWith("…", cut, StringComparison.Ordinal);
        Assert.EndsWith("haystack", cut, StringComparison.Ordinal);
        Assert.True(cut.Length <= 1 + 120 + "haystack".Length, cut);
        Assert.Equal("only the zebrafish here, and Ⓐ circled", Assert.Single(matches[Second]).Snippet);
    }

    [Fact]
    public void A_copy_that_moved_on_is_read_again_and_a_deleted_session_leaves_nothing()
    {
        using var store = PostgresStore.Open(server.CreateDatabase());
        var index = new PostgresSearchIndex(store);
        Store(store, First, ("user", "about the zebrafish"));
        index.Update([First]);
        var version = store.Get(First)!.Shared!.Version;

        // Another writer (the SDK's adapter, say) replaces the copy: the next update reads it again.
        store.Write("-work", First, "", [Line("u9", null, "user", "now about the quokka")], MirrorWrite.Replace);
        Assert.False(index.Save(First, version, () => throw new InvalidOperationException("read for an old version")));
        Assert.Equal(1, index.Update([First]));
        Assert.Empty(index.Find(SearchQuery.Parse("zebrafish"), [First]));
        Assert.Equal([First], index.Find(SearchQuery.Parse("quokka"), [First]));
        Assert.Equal("u9", Assert.Single(index.Matches(SearchQuery.Parse("quokka"), [First], 5)[First]).Uuid);

        store.Delete(First);
        Assert.Equal(0L, Scalar(store, "SELECT (SELECT count(*) FROM sidecar_search_sources) + (SELECT count(*) FROM sidecar_search_messages)"));
    }

    [Fact]
    public void A_database_of_the_schema_before_the_index_is_migrated_and_its_sessions_are_indexed_at_the_first_search()
    {
        var database = server.CreateDatabase();
        using (var first = PostgresStore.Open(database, schemaVersion: 3))
        {
            Store(first, First, ("user", "made before the index"));
            Assert.Equal(3, Scalar(first, "SELECT version FROM sidecar_schema"));
        }

        using var store = PostgresStore.Open(database);
        var index = new PostgresSearchIndex(store);

        Assert.Equal(PostgresStore.SchemaVersion, Scalar(store, "SELECT version FROM sidecar_schema"));
        Assert.Equal(1, index.Update([First]));
        Assert.Equal([First], index.Find(SearchQuery.Parse("before the index"), [First]));
    }

    [Fact]
    public void With_the_database_down_a_search_of_the_stores_copies_fails_as_unavailable()
    {
        var port = FreePort();
        using var store = PostgresStore.Open(new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "nowhere", Timeout = 2 }.ConnectionString);
        var index = new PostgresSearchIndex(store);

        Assert.Throws<StoreUnavailableException>(() => index.Update([First]));
        Assert.Throws<StoreUnavailableException>(() => index.Find(SearchQuery.Parse("zebrafish"), [First]));
        Assert.Throws<StoreUnavailableException>(() => index.Matches(SearchQuery.Parse("zebrafish"), [First], 5));
    }

    /// <summary>Stores a session whose transcript is these messages in turn (a user's string content, an assistant's text block), each continuing the last.</summary>
    private static void Store(PostgresStore store, string sessionId, params (string Type, string Text)[] messages)
    {
        store.Insert(new SessionRecord(sessionId, "alice", "/work", "/work", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "title", "prompt"));
        var lines = new List<MirrorEntry> { new(null, """{"type":"summary","summary":"not searched"}""") };
        string? parent = null;
        for (var i = 0; i < messages.Length; i++)
        {
            var uuid = (messages[i].Type == "user" ? "u" : "a") + (i + 1);
            lines.Add(Line(uuid, parent, messages[i].Type, messages[i].Text, $"2026-11-26T12:22:44.00{i + 1}Z"));
            parent = uuid;
        }

        store.Write("-work", sessionId, "", lines, MirrorWrite.AppendAll);
    }

    private static MirrorEntry Line(string uuid, string? parent, string type, string text, string? timestamp = null)
    {
        var entry = new JObject
        {
            ["type"] = type,
            ["uuid"] = uuid,
            ["parentUuid"] = parent,
            ["message"] = new JObject { ["role"] = type, ["content"] = type == "user" ? text : new JArray(new JObject { ["type"] = "text", ["text"] = text }) },
        };
        if (timestamp is not null)
        {
            entry["timestamp"] = timestamp;
        }

        return new MirrorEntry(uuid, entry.ToString(Formatting.None));
    }

    private static object? Scalar(PostgresStore store, string sql) => store.Use(connection =>
    {
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    });

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
