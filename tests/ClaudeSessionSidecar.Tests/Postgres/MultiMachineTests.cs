using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Npgsql;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// Two machines on one PostgreSQL store (docs/postgres-store.md), end to end: "machine A" and "machine B" are two
/// server processes over real stdio, each with its own CLI config folder and local store, on one fresh database; the
/// real CLI talks to the fake Messages API. Every session runs in machine A's workspace (the same path on both).
/// </summary>
public sealed class MultiMachineTests : IClassFixture<PostgresServer>, IClassFixture<FakeApiFixture>
{
    /// <summary>How long the background retry (every 5 s) and a busy machine may take to make a change visible.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

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
        var resumable = Assert.Single((await b.CallAsync("session/listResumable", new { }))["sessions"]!);
        Assert.Equal(sessionId, (string?)resumable["sessionId"]);
        Assert.Equal("first turn on A", (string?)resumable["firstPrompt"]);

        var resumed = await ResumeAsync(b, sessionId, "second turn on B");

        Assert.Equal(FakeMessagesApi.ReplyTo("second turn on B"), (string?)resumed["result"]!["text"]);
        Assert.True((bool)resumed["mirrored"]!);
        Assert.Contains("first turn on A", FakeMessagesApi.TextsOf(LastRequest("second turn on B")));
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
        Assert.Contains("two on B", FakeMessagesApi.TextsOf(LastRequest("three on A")));
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
            Assert.Contains("three on A", FakeMessagesApi.TextsOf(LastRequest(prompt)));
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
        output.WriteLine($"Before the restart: {(await StoredEntriesAsync(sessionId)).Count} entries stored, {LocalEntries(local).Count} in A's file.");
        Assert.NotEqual(LocalEntries(local), await StoredEntriesAsync(sessionId));

        await a.RestartAsync();

        await EventuallyAsync(async () => LocalEntries(local).SequenceEqual(await StoredEntriesAsync(sessionId)), "the store to hold A's transcript");
        Assert.Equal(LocalEntries(local), await StoredEntriesAsync(sessionId));
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
        Assert.Equal(LocalEntries(a.TranscriptPath(sessionId, cwd)), await StoredEntriesAsync(sessionId));
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
            await ExecuteAsync("UPDATE sidecar_schema SET version = 99");

            await using var refused = first.Launch();
            var exitCode = await refused.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.NotEqual(0, exitCode);
            await Polling.WaitUntilAsync(() => first.Log.Lines.Any(line => line.Contains("schema version 99, newer than", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the stderr line that says the schema is newer");
        }

        Assert.Equal(99, await ScalarAsync("SELECT version FROM sidecar_schema"));
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
        Assert.Contains("turn by the SDK", FakeMessagesApi.TextsOf(LastRequest("A again after the SDK")));
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

    private sealed class Machine : IAsyncDisposable
    {
        private readonly string store;

        public Machine(string name, string store, string apiBaseUrl, ITestOutputHelper output)
        {
            Name = name;
            this.store = store;
            Environment = new TestEnvironment(apiBaseUrl);
            Log = new CapturingOutput(output, name);
            Server = Launch();
        }

        public string Name { get; }

        public TestEnvironment Environment { get; }

        /// <summary>The servers' stderr, also in the test's output.</summary>
        public CapturingOutput Log { get; }

        public ServerProcess Server { get; private set; }

        /// <summary>Another server process on this machine's folders.</summary>
        public ServerProcess Launch() => ServerProcess.Start(Environment, Log, extraArguments:
            ["--store", store, "--local-store", Environment.StoreDirectory, "--claude-config-dir", Environment.ConfigDirectory]);

        public async Task RestartAsync()
        {
            await Server.DisposeAsync();
            Server = Launch();
        }

        /// <summary>Where the CLI's path rule puts the session's transcript on this machine.</summary>
        public string TranscriptPath(string sessionId, string workingDirectory) =>
            Path.Combine(Environment.ProjectsDirectory, ProjectDirectoryName.Encode(workingDirectory), sessionId + ".jsonl");

        public Task<JToken> CallAsync(string method, object parameters) => Server.InvokeAsync(method, parameters).WaitAsync(TimeSpan.FromSeconds(90));

        public Task<RpcError> FailAsync(string method, object parameters) => Server.InvokeExpectingErrorAsync(method, parameters).WaitAsync(TimeSpan.FromSeconds(90));

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Environment.Dispose();
        }
    }

    /// <summary>Passes a server's stderr to the test's output, marked with the machine's name, and keeps it.</summary>
    private sealed class CapturingOutput(ITestOutputHelper inner, string name) : ITestOutputHelper
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public void WriteLine(string message)
        {
            Lines.Enqueue(message);
            try
            {
                inner.WriteLine($"[{name}] {message}");
            }
            catch (InvalidOperationException)
            {
                // The test has ended.
            }
        }

        public void WriteLine(string format, params object[] args) => WriteLine(string.Format(CultureInfo.InvariantCulture, format, args));
    }

    private static async Task<string> CreateAsync(Machine machine, string workingDirectory, string prompt, string? userId = null)
    {
        var parameters = new JObject { ["workingDirectory"] = workingDirectory, ["prompt"] = prompt };
        if (userId is not null)
        {
            parameters["userId"] = userId;
        }

        var created = await machine.CallAsync("session/create", parameters);
        Assert.Equal(FakeMessagesApi.ReplyTo(prompt), (string?)created["result"]!["text"]);
        Assert.True((bool)created["mirrored"]!, created.ToString());
        return (string)created["sessionId"]!;
    }

    private static async Task<JToken> ResumeAsync(Machine machine, string sessionId, string prompt)
    {
        var resumed = await machine.CallAsync("session/resume", new { sessionId, prompt });
        Assert.False((bool)resumed["result"]!["isError"]!, resumed.ToString());
        return resumed;
    }

    /// <summary>The conversation of turns with these prompts, as <see cref="ConversationAsync"/> shows it.</summary>
    private static List<string> Conversation(params string[] prompts) =>
        prompts.SelectMany(prompt => new[] { "user: " + prompt, "assistant: " + FakeMessagesApi.ReplyTo(prompt) }).ToList();

    /// <summary>The machine's session/messages, one "type: text" a message.</summary>
    private static async Task<List<string>> ConversationAsync(Machine machine, string sessionId) =>
        (await machine.CallAsync("session/messages", new { sessionId }))["messages"]!
            .Select(message => $"{(string?)message["type"]}: {TextOf(message["message"]!["content"])}")
            .ToList();

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

    private static string TextOf(JToken? content) => content switch
    {
        JValue text => (string?)text ?? string.Empty,
        JArray blocks => string.Concat(blocks.OfType<JObject>().Where(block => (string?)block["type"] == "text").Select(block => (string?)block["text"])),
        _ => string.Empty,
    };

    /// <summary>The last request the fake model got for this prompt.</summary>
    private JObject LastRequest(string prompt) => api.Requests.Last(request => FakeMessagesApi.PromptOf(request) == prompt);

    /// <summary>
    /// Starts a resume of the session on the machine, and waits until the CLI has written its prompt to the transcript
    /// (the turn then holds the session's lock); the task answers when the turn ends.
    /// </summary>
    private static async Task<Task<JToken>> StartTurnAsync(Machine machine, string sessionId, string workingDirectory, string prompt)
    {
        var running = machine.Server.InvokeAsync("session/resume", new { sessionId, prompt });
        var transcript = machine.TranscriptPath(sessionId, workingDirectory);
        await Polling.WaitUntilAsync(() => File.Exists(transcript) && File.ReadAllText(transcript).Contains(prompt, StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"'{prompt}' in {transcript}");
        return running;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string waitingFor)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > Deadline)
            {
                Assert.Fail($"Waited {Deadline.TotalSeconds:0} s for {waitingFor}, in vain.");
            }

            await Task.Delay(250);
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

    /// <summary>A transcript file's entries as the store keeps them: every line but the CLI's <c>api-request*</c> cache lines, compacted.</summary>
    private static List<string> LocalEntries(string path) =>
        File.ReadAllLines(path)
            .Where(line => line.Length > 0)
            .Select(line => (JObject)TranscriptLines.Parse(line))
            .Where(entry => !((string?)entry["type"] ?? string.Empty).StartsWith("api-request", StringComparison.Ordinal))
            .Select(entry => entry.ToString(Formatting.None))
            .ToList();

    /// <summary>The store's lines of the session's main transcript, in order, compacted.</summary>
    private async Task<List<string>> StoredEntriesAsync(string sessionId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT entry::text FROM sidecar_transcript_entries WHERE session_id = @id AND subpath = '' ORDER BY seq", connection);
        command.Parameters.AddWithValue("id", sessionId);
        await using var reader = await command.ExecuteReaderAsync();
        var entries = new List<string>();
        while (await reader.ReadAsync())
        {
            entries.Add(TranscriptLines.Parse(reader.GetString(0)).ToString(Formatting.None));
        }

        return entries;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs a command to its end (at most two minutes).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] arguments, IDictionary<string, string?> variables, string workingDirectory)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
