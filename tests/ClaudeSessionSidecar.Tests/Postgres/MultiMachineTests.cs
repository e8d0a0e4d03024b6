using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Npgsql;
using Xunit.Abstractions;
using static ClaudeSessionSidecar.Tests.Postgres.MultiMachineSteps;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// Two machines on one PostgreSQL store (docs/postgres-store.md), end to end: "machine A" and "machine B" are two
/// server processes over real stdio, each with its own CLI config folder and local store, on one fresh database; the
/// real CLI talks to the fake Messages API. Every session runs in machine A's workspace (the same path on both).
/// </summary>
public sealed class MultiMachineTests : IClassFixture<PostgresServer>, IClassFixture<FakeApiFixture>
{
    private readonly PostgresServer postgres;
    private readonly FakeMessagesApi api;
    private readonly ITestOutputHelper output;
    private readonly string connectionString;
    private readonly string url;

    public MultiMachineTests(PostgresServer postgres, FakeApiFixture fake, ITestOutputHelper output)
    {
        this.postgres = postgres;
        api = fake.Api;
        this.output = output;
        connectionString = postgres.CreateDatabase();
        url = postgres.Url(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task A_session_created_on_A_is_listed_judged_and_resumed_on_B_which_had_no_transcript()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "first turn on A");
        var onB = b.TranscriptPath(sessionId, cwd);

        Assert.False(File.Exists(onB));
        var status = await b.CallAsync("session/status", new { sessionId });
        Assert.True((bool)status["resumable"]!, status.ToString());
        Assert.False(File.Exists(onB), "session/status wrote B's transcript");

        var listed = Assert.Single((await b.CallAsync("session/list", new { }))["sessions"]!, s => (string?)s["sessionId"] == sessionId);
        Assert.True((bool)listed["status"]!["resumable"]!, listed.ToString());
        Assert.Equal("sidecar", (string?)listed["source"]);

        // What it used, from the store's listing index and its costs: as A sees it from its own transcript.
        var onA = await a.CallAsync("session/info", new { sessionId });
        Assert.True((long)onA["usage"]!["inputTokens"]! > 0, onA.ToString());
        Assert.Equal(onA["usage"]!.ToString(), listed["usage"]?.ToString());
        Assert.True((double)onA["costUsd"]! > 0, onA.ToString());
        Assert.Equal((double)onA["costUsd"]!, (double?)listed["costUsd"]);
        var resumable = Assert.Single((await b.CallAsync("session/listResumable", new { }))["sessions"]!);
        Assert.Equal(sessionId, (string?)resumable["sessionId"]);
        Assert.Equal("first turn on A", (string?)resumable["firstPrompt"]);

        var resumed = await ResumeAsync(b, sessionId, "second turn on B");

        Assert.Equal(FakeMessagesApi.ReplyTo("second turn on B"), (string?)resumed["result"]!["text"]);
        Assert.True((bool)resumed["mirrored"]!);
        Assert.Contains("first turn on A", FakeMessagesApi.TextsOf(LastRequest(api, "second turn on B")));
        Assert.Equal(Conversation("first turn on A", "second turn on B"), await ConversationAsync(b, sessionId));
        Assert.True(File.Exists(onB));
    }

    [Fact]
    public async Task A_continues_after_B_from_a_refreshed_copy_and_the_bare_CLI_resumes_it_on_both_machines()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "one on A");
        await ResumeAsync(b, sessionId, "two on B");

        // A's local copy (and its live CLI process) knew only the first turn.
        var third = await ResumeAsync(a, sessionId, "three on A");

        Assert.Equal(FakeMessagesApi.ReplyTo("three on A"), (string?)third["result"]!["text"]);
        Assert.Contains("two on B", FakeMessagesApi.TextsOf(LastRequest(api, "three on A")));
        var all = Conversation("one on A", "two on B", "three on A");
        Assert.Equal(all, await ConversationAsync(a, sessionId));
        Assert.Equal(all, await ConversationAsync(b, sessionId));

        foreach (var machine in new[] { a, b })
        {
            var prompt = $"bare CLI on {machine.Name}";
            var (exitCode, stdout, stderr) = await RunAsync(RealClaudeCli.Path, ["-p", prompt, "--resume", sessionId, "--output-format", "json"], machine.Environment.Variables(), cwd);

            Assert.True(exitCode == 0, $"the bare CLI on {machine.Name} exited with {exitCode}: {stdout}\n{stderr}");
            Assert.DoesNotContain("No conversation found", stdout + stderr, StringComparison.Ordinal);
            var result = TranscriptLines.Parse(stdout);
            Assert.False((bool)result["is_error"]!, stdout);
            Assert.Equal(FakeMessagesApi.ReplyTo(prompt), (string?)result["result"]);
            Assert.Equal(sessionId, (string?)result["session_id"]);
            Assert.Contains("three on A", FakeMessagesApi.TextsOf(LastRequest(api, prompt)));
        }
    }

    [Fact]
    public async Task A_turn_running_on_A_makes_B_busy_until_it_ends()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "before the race");
        const string Slow = "[slow:4000] the long turn on A";
        var running = await StartTurnAsync(a, sessionId, cwd, Slow);

        var busy = await b.FailAsync("session/resume", new { sessionId, prompt = "too early on B" });

        Assert.Equal(-31004, busy.ErrorCode);
        Assert.Equal("session_busy", (string?)busy.ErrorData!["reason"]);
        Assert.Equal(FakeMessagesApi.ReplyTo(Slow), (string?)(await running.WaitAsync(TimeSpan.FromSeconds(90)))["result"]!["text"]);
        Assert.DoesNotContain(api.Requests, request => FakeMessagesApi.PromptOf(request) == "too early on B");

        var after = await ResumeAsync(b, sessionId, "after the race on B");
        Assert.Equal(FakeMessagesApi.ReplyTo("after the race on B"), (string?)after["result"]!["text"]);
        Assert.Equal(Conversation("before the race", Slow, "after the race on B"), await ConversationAsync(b, sessionId));
    }

    [Fact]
    public async Task A_server_killed_mid_turn_mirrors_the_turn_when_it_starts_again()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "before the kill");
        var local = a.TranscriptPath(sessionId, cwd);
        const string Killed = "[slow:3000] the turn A's server dies in";
        var running = await StartTurnAsync(a, sessionId, cwd, Killed);
        var orphans = a.Server.CliChildren();
        Assert.NotEmpty(orphans);

        a.Server.Process.Kill(entireProcessTree: false);
        await a.Server.Process.WaitForExitAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => running);

        // The orphaned CLI finishes its turn into A's transcript (no server reads its mirror frames any more), then exits.
        await Polling.WaitUntilAsync(() => File.ReadAllText(local).Contains(FakeMessagesApi.ReplyTo(Killed), StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the orphaned CLI's answer in A's transcript");
        await WaitForExitOrKillAsync(orphans);
        output.WriteLine($"Before the restart: {(await StoredEntriesAsync(connectionString, sessionId)).Count} entries stored, {LocalEntries(local).Count} in A's file.");
        Assert.NotEqual(LocalEntries(local), await StoredEntriesAsync(connectionString, sessionId));

        await a.RestartAsync();

        await EventuallyAsync(async () => LocalEntries(local).SequenceEqual(await StoredEntriesAsync(connectionString, sessionId)), "the store to hold A's transcript");
        Assert.Equal(LocalEntries(local), await StoredEntriesAsync(connectionString, sessionId));
        Assert.Equal(Conversation("before the kill", Killed), await ConversationAsync(b, sessionId));
    }

    [Fact]
    public async Task Without_the_database_a_create_fails_with_store_unavailable_and_a_turn_it_missed_reaches_B_later()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        try
        {
            await postgres.StopAsync();
            var unavailable = await a.FailAsync("session/create", new { workingDirectory = cwd, prompt = "while the database is down" });

            Assert.Equal(-31006, unavailable.ErrorCode);
            Assert.Equal("store_unavailable", (string?)unavailable.ErrorData!["reason"]);
            Assert.Equal("ClaudeSessionSidecar", (string?)(await a.CallAsync("initialize", new { clientInfo = new { name = "test", version = "1" } }))["serverInfo"]!["name"]);
            Assert.DoesNotContain(api.Requests, request => FakeMessagesApi.PromptOf(request) == "while the database is down");

            await postgres.StartAsync();
            var created = await a.CallAsync("session/create", new { workingDirectory = cwd, prompt = "the database is back" });
            Assert.True((bool)created["mirrored"]!, created.ToString());
            var sessionId = (string)created["sessionId"]!;

            // The database goes away in the middle of a turn.
            const string Missed = "[slow:5000] a turn the database misses";
            var running = await StartTurnAsync(a, sessionId, cwd, Missed);
            await postgres.StopAsync();
            var answer = await running.WaitAsync(TimeSpan.FromSeconds(90));

            Assert.Equal(FakeMessagesApi.ReplyTo(Missed), (string?)answer["result"]!["text"]);
            Assert.False((bool)answer["mirrored"]!, answer.ToString());

            await postgres.StartAsync();
            await EventuallyAsync(
                async () => (await TryConversationAsync(b, sessionId)).SequenceEqual(Conversation("the database is back", Missed)),
                "B to see the turn the database missed");
        }
        finally
        {
            if (postgres.PostmasterPid is null)
            {
                await postgres.StartAsync();
            }
        }
    }

    [Fact]
    public async Task Connections_lost_mid_turn_lose_nothing_and_release_the_lock()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "before the connections drop");

        // Every connection of the database is cut while a turn runs: the turn's lock connection and the pooled ones.
        const string Cut = "[slow:3000] a turn whose connections are cut";
        var running = await StartTurnAsync(a, sessionId, cwd, Cut);
        await postgres.KillConnectionsAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
        var answer = await running.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(FakeMessagesApi.ReplyTo(Cut), (string?)answer["result"]!["text"]);
        Assert.True((bool)answer["mirrored"]!, answer.ToString());
        Assert.Equal(LocalEntries(a.TranscriptPath(sessionId, cwd)), await StoredEntriesAsync(connectionString, sessionId));
        await ResumeAsync(b, sessionId, "after the cut on B");
        Assert.Equal(Conversation("before the connections drop", Cut, "after the cut on B"), await ConversationAsync(b, sessionId));
    }

    [Fact]
    public async Task Another_users_session_is_neither_listed_nor_resumed_on_B()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "alice's secret", userId: "alice");

        Assert.DoesNotContain((await b.CallAsync("session/list", new { userId = "bob" }))["sessions"]!, s => (string?)s["sessionId"] == sessionId);
        Assert.DoesNotContain((await b.CallAsync("session/listResumable", new { userId = "bob" }))["sessions"]!, s => (string?)s["sessionId"] == sessionId);
        var refused = await b.FailAsync("session/resume", new { sessionId, prompt = "bob tries", userId = "bob" });
        Assert.Equal(-31001, refused.ErrorCode);
        Assert.Equal("metadata_not_found", (string?)refused.ErrorData!["reason"]);
        Assert.Equal(-31005, (await b.FailAsync("session/messages", new { sessionId, userId = "bob" })).ErrorCode);
        Assert.DoesNotContain(api.Requests, request => FakeMessagesApi.PromptOf(request) == "bob tries");
        Assert.False(File.Exists(b.TranscriptPath(sessionId, cwd)), "bob's requests brought alice's transcript to B");

        var alices = Assert.Single((await b.CallAsync("session/list", new { userId = "alice" }))["sessions"]!);
        Assert.Equal(sessionId, (string?)alices["sessionId"]);
        Assert.Equal("alice", (string?)alices["userId"]);
        Assert.Equal(sessionId, (string?)Assert.Single((await b.CallAsync("session/listResumable", new { userId = "alice" }))["sessions"]!)["sessionId"]);
    }

    [Fact]
    public async Task A_server_refuses_to_start_on_a_schema_from_a_newer_version()
    {
        await using (var first = Start("A"))
        {
            // The schema is made before the server serves its first request.
            await first.CallAsync("initialize", new { clientInfo = new { name = "test", version = "1" } });
            Assert.Equal(0, await first.Server.ShutdownAsync());
            await ExecuteAsync(connectionString, "UPDATE sidecar_schema SET version = 99");

            await using var refused = first.Launch();
            var exitCode = await refused.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.NotEqual(0, exitCode);
            await Polling.WaitUntilAsync(() => first.Log.Lines.Any(line => line.Contains("schema version 99, newer than", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the stderr line that says the schema is newer");
        }

        Assert.Equal(99, await ScalarAsync(connectionString, "SELECT version FROM sidecar_schema"));
    }

    [Fact]
    public async Task The_Agent_SDK_resumes_a_session_of_A_from_the_store_and_A_sees_its_turn()
    {
        await using var a = Start("A");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "made by server A");
        using var sdk = new TestEnvironment(api.BaseUrl);
        var variables = sdk.Variables();
        variables["CLAUDE_SIDECAR_CLAUDE_PATH"] = RealClaudeCli.Path;
        variables["TMPDIR"] = sdk.Create("tmp");
        var script = Path.Combine(Repository.Root, "tests", "ClaudeSessionSidecar.Tests", "TestData", "sdk-interop", "sdk-resume-from-store.mjs");

        var (exitCode, stdout, stderr) = await RunAsync("node", [script, "--connection", url, "--session", sessionId, "--cwd", cwd, "--prompt", "turn by the SDK"], variables, Path.GetDirectoryName(script)!);

        Assert.True(exitCode == 0, $"the SDK script exited with {exitCode}: {stderr}");
        var result = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TranscriptLines.Parse).Single(message => (string?)message["type"] == "result");
        Assert.Equal("success", (string?)result["subtype"]);
        Assert.Equal(FakeMessagesApi.ReplyTo("turn by the SDK"), (string?)result["result"]);
        Assert.False(Directory.Exists(sdk.ProjectsDirectory) && Directory.EnumerateFiles(sdk.ProjectsDirectory, "*.jsonl", SearchOption.AllDirectories).Any(), "the SDK wrote into its config folder");

        var resumed = await ResumeAsync(a, sessionId, "A again after the SDK");

        Assert.Equal(FakeMessagesApi.ReplyTo("A again after the SDK"), (string?)resumed["result"]!["text"]);
        Assert.Contains("turn by the SDK", FakeMessagesApi.TextsOf(LastRequest(api, "A again after the SDK")));
        Assert.Equal(Conversation("made by server A", "turn by the SDK", "A again after the SDK"), await ConversationAsync(a, sessionId));
    }

    /// <summary>A machine: its own config folder and local store, its server on this test's database.</summary>
    [Fact]
    public async Task Pages_asked_of_A_and_B_in_turn_list_every_session_once_with_either_ones_cursor()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var at = DateTimeOffset.Parse("2026-11-26T12:22:44.614Z", CultureInfo.InvariantCulture);
        var ids = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid().ToString()).ToList();
        using (var store = Engine.Store.PostgresStore.Open(connectionString))
        {
            // Sessions of the database active in one millisecond, with no transcript on either machine.
            ids.ForEach(id => store.Insert(new Engine.Store.SessionRecord(id, System.Environment.UserName, cwd, cwd, at, at, "paged", "paged")));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var parameters = new JObject { ["limit"] = 4 };
            if (cursor is not null)
            {
                parameters["cursor"] = cursor;
            }

            var page = await (pages++ % 2 == 0 ? a : b).CallAsync("session/list", parameters);
            seen.AddRange(page["sessions"]!.Select(s => (string)s["sessionId"]!));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null && seen.Count < 100);

        Assert.Equal(ids.Order(StringComparer.Ordinal).Reverse(), seen);
        Assert.Equal(8, pages);
    }

    private Machine Start(string name) => new(name, url, api.BaseUrl, output);

    /// <summary>As <see cref="ConversationAsync"/>; empty while the machine cannot show it (the database away, the session not there yet).</summary>
    private async Task<List<string>> TryConversationAsync(Machine machine, string sessionId)
    {
        try
        {
            return await ConversationAsync(machine, sessionId);
        }
        catch (StreamJsonRpc.RemoteInvocationException exception)
        {
            output.WriteLine($"session/messages on {machine.Name}: {exception.ErrorCode} {exception.Message}");
            return [];
        }
    }

    /// <summary>The orphaned CLI processes of a killed server: given time to end by themselves, then killed.</summary>
    private async Task WaitForExitOrKillAsync(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            var waited = Stopwatch.StartNew();
            while (ServerProcess.IsRunning(pid) && waited.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100);
            }

            if (ServerProcess.IsRunning(pid))
            {
                output.WriteLine($"The orphaned CLI {pid} did not exit by itself: killed.");
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
        }
    }
}
