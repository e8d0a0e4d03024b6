using System.Globalization;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;
using static ClaudeSessionSidecar.Tests.Postgres.MultiMachineSteps;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// Two servers on one machine on one PostgreSQL store, each with its own CLI config folder but one local store (as two
/// servers started without <c>--local-store</c> share the default one): a turn the store has is never lost, whichever
/// server runs the next one, with live processes or without. Named MultiMachine… so that test.sh runs it on the
/// native build too.
/// </summary>
public sealed class MultiMachineSharedLocalStoreTests : IClassFixture<PostgresServer>, IClassFixture<FakeApiFixture>, IDisposable
{
    private const string OnA = "started on machine A";
    private const string OnB = "continued on machine B";
    private const string BackOnA = "back on machine A";

    private readonly FakeMessagesApi api;
    private readonly ITestOutputHelper output;
    private readonly string connectionString;
    private readonly string url;

    /// <summary>The one machine's own folders: its local store is the one both servers use.</summary>
    private readonly TestEnvironment host = new();

    public MultiMachineSharedLocalStoreTests(PostgresServer postgres, FakeApiFixture fake, ITestOutputHelper output)
    {
        api = fake.Api;
        this.output = output;
        connectionString = postgres.CreateDatabase();
        url = postgres.Url(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    public void Dispose() => host.Dispose();

    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    public async Task A_then_B_then_A_keeps_all_three_turns(int liveSessions)
    {
        await using var a = Start("A", liveSessions);
        await using var b = Start("B", liveSessions);
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, OnA);
        Assert.True((bool)(await ResumeAsync(b, sessionId, OnB))["mirrored"]!);

        var back = await ResumeAsync(a, sessionId, BackOnA);

        Assert.True((bool)back["mirrored"]!, back.ToString());
        Assert.Contains(OnB, FakeMessagesApi.TextsOf(LastRequest(api, BackOnA)));
        await AssertEveryTurnKeptAsync(sessionId, a, b, OnA, OnB, BackOnA);
        Assert.Empty(Diverged(a, sessionId));
    }

    /// <param name="bookkeepingSaysCurrent">
    /// Whether the local store is made to say, wrongly, that A's file is the store's copy as it is now (as it did when it
    /// was keyed by session alone): then only the comparison of the lines themselves can tell that it is behind.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task B_takes_a_turn_while_A_holds_a_live_process_which_A_then_closes_rather_than_reuse(bool bookkeepingSaysCurrent)
    {
        await using var a = Start("A", liveSessions: 4);
        await using var b = Start("B", liveSessions: 4);
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, OnA);
        var live = Assert.Single(a.Server.CliChildren());

        await ResumeAsync(b, sessionId, OnB);

        // B's turn ran in B's own process; A's live one still waits, knowing only A's turn.
        Assert.True(ServerProcess.IsRunning(live), "A's live process ended during B's turn");
        Assert.Contains(OnA, FakeMessagesApi.TextsOf(LastRequest(api, OnB)));
        if (bookkeepingSaysCurrent)
        {
            await SayLocalCopyIsCurrentAsync(a.TranscriptPath(sessionId, cwd), sessionId);
        }

        await ResumeAsync(a, sessionId, BackOnA);

        Assert.Contains(OnB, FakeMessagesApi.TextsOf(LastRequest(api, BackOnA)));
        Assert.DoesNotContain(live, a.Server.CliChildren());
        await AssertEveryTurnKeptAsync(sessionId, a, b, OnA, OnB, BackOnA);
    }

    [Fact]
    public async Task When_both_moved_on_the_store_copy_wins_and_the_local_turn_is_kept_beside_it()
    {
        await using var a = Start("A", liveSessions: 4);
        await using var b = Start("B", liveSessions: 4);
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, OnA);
        await ResumeAsync(b, sessionId, OnB);

        // The bare CLI continues A's own copy, which the store never hears of: both copies moved on.
        const string Bare = "bare CLI on machine A";
        var (exitCode, stdout, stderr) = await RunAsync(RealClaudeCli.Path, ["-p", Bare, "--resume", sessionId, "--output-format", "json"], a.Environment.Variables(), cwd);
        Assert.True(exitCode == 0, $"the bare CLI exited with {exitCode}: {stdout}\n{stderr}");

        await ResumeAsync(a, sessionId, BackOnA);

        Assert.Contains(OnB, FakeMessagesApi.TextsOf(LastRequest(api, BackOnA)));
        Assert.DoesNotContain(Bare, FakeMessagesApi.TextsOf(LastRequest(api, BackOnA)));
        await AssertEveryTurnKeptAsync(sessionId, a, b, OnA, OnB, BackOnA);
        var kept = Assert.Single(Diverged(a, sessionId));
        var keptText = await File.ReadAllTextAsync(kept);
        Assert.Contains(Bare, keptText, StringComparison.Ordinal);
        Assert.Contains(FakeMessagesApi.ReplyTo(Bare), keptText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_copy_that_moved_on_during_a_turn_is_not_replaced_and_the_turn_process_is_not_kept()
    {
        await using var a = Start("A", liveSessions: 4);
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, OnA);
        const string Slow = "[slow:3000] a turn the store moves on during";
        var running = await StartTurnAsync(a, sessionId, cwd, Slow);

        // A writer that does not take the session's lock (an SDK adapter that skips it) stores a title meanwhile; its
        // seq is far past the turn's own frames, which the server's mirror is storing at the same moment.
        const string Title = """{"type":"custom-title","customTitle":"stored without the lock","sessionId":"SESSION"}""";
        await ExecuteAsync(connectionString, $"""
            INSERT INTO sidecar_transcript_entries (project_key, session_id, subpath, seq, uuid, entry, stored_at_ms)
            SELECT project_key, session_id, '', max(seq) + 1000000, NULL, '{Title.Replace("SESSION", sessionId, StringComparison.Ordinal)}'::json, 0
            FROM sidecar_transcript_entries WHERE session_id = '{sessionId}' AND subpath = '' GROUP BY project_key, session_id;
            UPDATE sidecar_sessions SET transcript_version = transcript_version + 1 WHERE session_id = '{sessionId}';
            """);
        var answer = await running.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True((bool)answer["mirrored"]!, answer.ToString());
        var stored = await StoredEntriesAsync(connectionString, sessionId);
        Assert.Contains(stored, line => line.Contains("stored without the lock", StringComparison.Ordinal));
        // The local copy is the store's (the closed CLI appends its exit lines, last-prompt and cost-state, after it).
        Assert.Equal(stored, LocalEntries(a.TranscriptPath(sessionId, cwd)).Take(stored.Count));
        Assert.Equal(Conversation(OnA, Slow), await ConversationAsync(a, sessionId));

        // The process that ran the turn never read the title: it is closed rather than kept for the next turn.
        Assert.Empty(a.Server.CliChildren());
        Assert.Empty(Diverged(a, sessionId));
    }

    /// <summary>One of the two servers: its own config folder, the machine's one local store, this test's database.</summary>
    private Machine Start(string name, int liveSessions) =>
        new(name, url, api.BaseUrl, output, localStore: host.StoreDirectory, "--live-sessions", liveSessions.ToString(CultureInfo.InvariantCulture));

    /// <summary>Both servers show the whole conversation, and the store holds every line of A's copy (the last turn's).</summary>
    private async Task AssertEveryTurnKeptAsync(string sessionId, Machine a, Machine b, params string[] prompts)
    {
        Assert.Equal(Conversation(prompts), await ConversationAsync(a, sessionId));
        Assert.Equal(Conversation(prompts), await ConversationAsync(b, sessionId));
        Assert.Equal(LocalEntries(a.TranscriptPath(sessionId, a.Environment.Workspace)), await StoredEntriesAsync(connectionString, sessionId));
    }

    private static string[] Diverged(Machine machine, string sessionId)
    {
        var folder = Path.GetDirectoryName(machine.TranscriptPath(sessionId, machine.Environment.Workspace))!;
        return Directory.GetFiles(folder, sessionId + ".jsonl.diverged-*");
    }

    /// <summary>Rewrites the local store's row for the transcript: equal to the store's copy at its current version, as the file is stamped now.</summary>
    private async Task SayLocalCopyIsCurrentAsync(string transcriptPath, string sessionId)
    {
        var version = (long)(await ScalarAsync(connectionString, $"SELECT transcript_version FROM sidecar_sessions WHERE session_id = '{sessionId}'"))!;
        var file = new FileInfo(transcriptPath);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(host.StoreDirectory, "sessions.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR REPLACE INTO mirrored_transcripts (transcript_path, session_id, version, file_size, modified_ticks)
            VALUES ($path, $id, $version, $size, $modified)
            """;
        command.Parameters.AddWithValue("$path", transcriptPath);
        command.Parameters.AddWithValue("$id", sessionId);
        command.Parameters.AddWithValue("$version", version);
        command.Parameters.AddWithValue("$size", file.Length);
        command.Parameters.AddWithValue("$modified", file.LastWriteTimeUtc.Ticks);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
