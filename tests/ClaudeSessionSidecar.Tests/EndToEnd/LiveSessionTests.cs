using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// Live sessions with the real CLI: a session's process kept between turns and reused only when that is exactly
/// right, spares from <c>session/prepare</c>, and the bounds (cap, idle timeout, shutdown). The processes are seen
/// from outside, as the server's children in /proc.
/// </summary>
public sealed class LiveSessionTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Follow_up_turns_run_in_the_same_process_and_leave_a_transcript_the_bare_CLI_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = await CreateAsync(server, environment, "one");
        var pid = Assert.Single(server.CliChildren());

        await ResumeAsync(server, sessionId, "two");
        await ResumeAsync(server, sessionId, "three");

        Assert.Equal([pid], server.CliChildren());
        await AssertConversationAsync(server, sessionId, "one", "two", "three");
        Assert.Equal(0, await server.ShutdownAsync());
        Assert.False(ServerProcess.IsRunning(pid));
        await AssertBareCliResumesAsync(environment, sessionId, "one", "two", "three");
    }

    [Fact]
    public async Task A_transcript_another_process_wrote_to_is_resumed_in_a_new_process_with_a_linear_chain()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = await CreateAsync(server, environment, "one");
        var pid = Assert.Single(server.CliChildren());

        // Another editor's server (a process of its own per turn) continues the session meanwhile.
        await using (var other = ServerProcess.Start(environment, output, extraArguments: ["--live-sessions", "0"]))
        {
            await ResumeAsync(other, sessionId, "from elsewhere");
        }

        await ResumeAsync(server, sessionId, "back here");

        Assert.False(ServerProcess.IsRunning(pid));
        var replacement = Assert.Single(server.CliChildren());
        Assert.NotEqual(pid, replacement);
        var request = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "back here");
        Assert.Contains("from elsewhere", FakeMessagesApi.TextsOf(request));
        await AssertConversationAsync(server, sessionId, "one", "from elsewhere", "back here");

        // The server's own rename writes to the transcript too: the live process is then stale as well.
        await server.InvokeAsync("session/rename", new { sessionId, title = "renamed" });
        await ResumeAsync(server, sessionId, "after the rename");
        Assert.NotEqual(replacement, Assert.Single(server.CliChildren()));
        await AssertConversationAsync(server, sessionId, "one", "from elsewhere", "back here", "after the rename");
    }

    [Fact]
    public async Task A_live_process_killed_between_turns_is_replaced()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = await CreateAsync(server, environment, "one");
        var pid = Assert.Single(server.CliChildren());

        using (var doomed = System.Diagnostics.Process.GetProcessById(pid))
        {
            doomed.Kill();
            await doomed.WaitForExitAsync();
        }

        await ResumeAsync(server, sessionId, "two");
        Assert.NotEqual(pid, Assert.Single(server.CliChildren()));
        await AssertConversationAsync(server, sessionId, "one", "two");
    }

    [Fact]
    public async Task Model_and_permission_mode_are_switched_in_the_live_process()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = await CreateAsync(server, environment, "one");
        var pid = Assert.Single(server.CliChildren());
        var messagesBefore = server.Messages.Count;

        await server.InvokeAsync("session/resume", new { sessionId, prompt = "switched", model = "claude-haiku-4-5", permissionMode = "acceptEdits" });

        Assert.Equal([pid], server.CliChildren());
        var init = server.Messages.Skip(messagesBefore).Select(m => m["message"]!).First(m => (string?)m["subtype"] == "init");
        Assert.Equal("claude-haiku-4-5", (string?)init["model"]);
        Assert.Equal("acceptEdits", (string?)init["permissionMode"]);
        Assert.Equal("claude-haiku-4-5", (string?)fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "switched")["model"]);
        var switches = ((JArray)(await server.InvokeAsync("session/messages", new { sessionId }))["messages"]!).Count(IsModelSwitchRecord);
        Assert.Equal(2, switches);

        // And back to the defaults, still in the same process.
        messagesBefore = server.Messages.Count;
        await ResumeAsync(server, sessionId, "defaults again");
        Assert.Equal([pid], server.CliChildren());
        init = server.Messages.Skip(messagesBefore).Select(m => m["message"]!).First(m => (string?)m["subtype"] == "init");
        Assert.Equal("default", (string?)init["permissionMode"]);
        await AssertConversationAsync(server, sessionId, "one", "switched", "defaults again");
    }

    [Fact]
    public async Task After_a_cancelled_live_turn_the_process_takes_the_next_turn_cleanly()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = await CreateAsync(server, environment, "one");
        var pid = Assert.Single(server.CliChildren());
        var messagesBefore = server.Messages.Count;

        var turn = server.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:30000] cut short" });
        await Polling.WaitUntilAsync(() => server.Messages.Count > messagesBefore, Within, "the live turn's first message");
        Assert.True((bool)(await server.InvokeAsync("session/cancel", new { sessionId }))["cancelled"]!);
        var cancelled = await turn.WaitAsync(Within);
        Assert.True((bool?)cancelled["result"]!["cancelled"], cancelled.ToString());

        await ResumeAsync(server, sessionId, "after the cancel");

        Assert.Equal([pid], server.CliChildren());
        var request = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "after the cancel");
        // The CLI keeps an interrupted prompt with a line break after it.
        Assert.Contains("[slow:30000] cut short", FakeMessagesApi.TextsOf(request).Select(text => text.TrimEnd()));
        Assert.Equal(0, await server.ShutdownAsync());
        await AssertBareCliResumesAsync(environment, sessionId, "one", "[slow:30000] cut short", "after the cancel");
    }

    [Fact]
    public async Task The_least_recently_used_process_goes_first_and_idle_ones_are_closed()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output, extraArguments: ["--live-sessions", "2"]);
        var first = await CreateAsync(server, environment, "first");
        var firstPid = Assert.Single(server.CliChildren());
        var second = await CreateAsync(server, environment, "second");
        await ResumeAsync(server, first, "first again");
        await CreateAsync(server, environment, "third");

        // "second" was the least recently used: its process went, "first"'s stayed.
        await Polling.WaitUntilAsync(() => server.CliChildren().Count == 2, Within, "two live processes");
        Assert.Contains(firstPid, server.CliChildren());
        await ResumeAsync(server, second, "second again");
        await AssertConversationAsync(server, second, "second", "second again");

        await using var idleServer = ServerProcess.Start(environment, output, extraArguments: ["--live-idle-timeout", "1"]);
        var idle = await CreateAsync(idleServer, environment, "soon idle");
        await Polling.WaitUntilAsync(() => idleServer.CliChildren().Count == 0, Within, "the idle process to close");
        await ResumeAsync(idleServer, idle, "after the idle timeout");
    }

    [Fact]
    public async Task A_prepared_create_runs_in_the_spare_and_an_unused_spare_leaves_nothing_behind()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);

        Assert.True((bool)(await server.InvokeAsync("session/prepare", new { workingDirectory = environment.Workspace }))["prepared"]!);
        var spare = Assert.Single(server.CliChildren());
        var sessionId = await CreateAsync(server, environment, "in the spare");
        Assert.Equal([spare], server.CliChildren());

        // A second spare, never used: shutdown closes it, and it wrote nothing.
        var other = environment.Create("other-folder");
        Assert.True((bool)(await server.InvokeAsync("session/prepare", new { workingDirectory = other }))["prepared"]!);
        var unused = server.CliChildren().Single(pid => pid != spare);
        Assert.Equal(0, await server.ShutdownAsync());

        Assert.False(ServerProcess.IsRunning(unused));
        Assert.False(ServerProcess.IsRunning(spare));
        Assert.Equal([sessionId + ".jsonl"], Directory.EnumerateFiles(environment.ProjectsDirectory, "*.jsonl", SearchOption.AllDirectories).Select(Path.GetFileName));
        await using var next = ServerProcess.Start(environment, output);
        var listed = (JArray)(await next.InvokeAsync("session/list", new { }))["sessions"]!;
        Assert.Equal([sessionId], listed.Select(s => (string)s["sessionId"]!));
        await AssertBareCliResumesAsync(environment, sessionId, "in the spare");
    }

    [Fact]
    public async Task Shutdown_leaves_every_live_session_resumable_and_no_CLI_running()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sessions.Add(await CreateAsync(server, environment, $"session {i}"));
        }

        var pids = server.CliChildren();
        Assert.Equal(3, pids.Count);

        Assert.Equal(0, await server.ShutdownAsync());

        Assert.All(pids, pid => Assert.False(ServerProcess.IsRunning(pid)));
        for (var i = 0; i < 3; i++)
        {
            await AssertBareCliResumesAsync(environment, sessions[i], $"session {i}");
        }
    }

    [Fact]
    public async Task Closing_a_live_process_keeps_the_last_turns_time_and_never_brings_back_a_deleted_transcript()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var kept = await CreateAsync(server, environment, "kept");
        var keptPath = (string)(await server.InvokeAsync("session/status", new { sessionId = kept }))["filePath"]!;
        var gone = await CreateAsync(server, environment, "gone");
        var gonePath = (string)(await server.InvokeAsync("session/status", new { sessionId = gone }))["filePath"]!;
        var lastTurn = File.GetLastWriteTimeUtc(keptPath);
        var sizeAfterTurn = new FileInfo(keptPath).Length;
        File.Delete(gonePath);

        Assert.Equal(0, await server.ShutdownAsync());

        // The closing CLI wrote its bookkeeping lines, yet the transcript still dates from its last turn.
        Assert.True(new FileInfo(keptPath).Length > sizeAfterTurn);
        Assert.Equal(lastTurn, File.GetLastWriteTimeUtc(keptPath));
        Assert.False(File.Exists(gonePath));
    }

    [Fact]
    public async Task A_killed_server_leaves_no_live_CLI_behind_and_the_session_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        string sessionId;
        int pid;
        await using (var doomed = ServerProcess.Start(environment, output))
        {
            sessionId = await CreateAsync(doomed, environment, "before the kill");
            pid = Assert.Single(doomed.CliChildren());
            doomed.Process.Kill(entireProcessTree: false);
            await doomed.Process.WaitForExitAsync();
        }

        // The live CLI reads the end of its stdin, saves what it holds and exits by itself.
        await Polling.WaitUntilAsync(() => !ServerProcess.IsRunning(pid), Within, "the orphaned live CLI to exit");
        await AssertBareCliResumesAsync(environment, sessionId, "before the kill");
    }

    [Fact]
    public async Task With_live_sessions_off_every_turn_has_a_process_of_its_own()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output, extraArguments: ["--live-sessions", "0"]);

        var sessionId = await CreateAsync(server, environment, "one");
        Assert.Empty(server.CliChildren());
        Assert.False((bool)(await server.InvokeAsync("session/prepare", new { workingDirectory = environment.Workspace }))["prepared"]!);
        Assert.Empty(server.CliChildren());
        await ResumeAsync(server, sessionId, "two");
        Assert.Empty(server.CliChildren());
    }

    private static async Task<string> CreateAsync(ServerProcess server, TestEnvironment environment, string prompt)
    {
        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt });
        Assert.Equal(FakeMessagesApi.ReplyTo(prompt), (string?)created["result"]!["text"]);
        return (string)created["sessionId"]!;
    }

    private static async Task ResumeAsync(ServerProcess server, string sessionId, string prompt)
    {
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt });
        Assert.Equal(FakeMessagesApi.ReplyTo(prompt), (string?)resumed["result"]!["text"]);
    }

    /// <summary>The conversation, read along its <c>parentUuid</c> chain: every prompt, in order, each answered.</summary>
    private static async Task AssertConversationAsync(ServerProcess server, string sessionId, params string[] prompts)
    {
        var messages = ((JArray)(await server.InvokeAsync("session/messages", new { sessionId }))["messages"]!)
            .Where(m => !IsModelSwitchRecord(m))
            .ToList();
        Assert.Equal(prompts.SelectMany(_ => new[] { "user", "assistant" }), messages.Select(m => (string)m["type"]!));
        Assert.Equal(prompts, messages.Where(m => (string?)m["type"] == "user").Select(m => (string?)m["message"]!["content"]));
        Assert.Equal(prompts.Select(FakeMessagesApi.ReplyTo), messages.Where(m => (string?)m["type"] == "assistant").Select(m => (string?)m["message"]!["content"]![0]!["text"]));
    }

    /// <summary>A live process's model switch is recorded by the CLI as its <c>/model</c> command would be: two user lines.</summary>
    private static bool IsModelSwitchRecord(JToken message) =>
        (string?)message["type"] == "user" && message["message"]!["content"] is JValue { Type: JTokenType.String } content
        && ((string)content!).StartsWith("<command-name>/model</command-name>", StringComparison.Ordinal) | ((string)content!).StartsWith("<local-command-stdout>Set model to", StringComparison.Ordinal);

    /// <summary>A server with no live sessions resumes it with the bare CLI's <c>--resume</c>, which remembers every prompt.</summary>
    private async Task AssertBareCliResumesAsync(TestEnvironment environment, string sessionId, params string[] prompts)
    {
        await using var bare = ServerProcess.Start(environment, output, extraArguments: ["--live-sessions", "0"]);
        var check = $"check {Guid.NewGuid():N}";
        await ResumeAsync(bare, sessionId, check);
        var request = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == check);
        var texts = FakeMessagesApi.TextsOf(request).Select(text => text.TrimEnd()).ToList();
        Assert.Equal(prompts, texts.Where(prompts.Contains));
    }
}
