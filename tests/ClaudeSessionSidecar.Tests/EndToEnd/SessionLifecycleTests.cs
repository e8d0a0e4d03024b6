using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>The built server over real stdio, driving the real CLI against the fake Messages API.</summary>
public sealed class SessionLifecycleTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Create_resume_list_then_restart_the_server_and_resume_again()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        string sessionId;
        await using (var server = ServerProcess.Start(environment, output))
        {
            var initialize = await server.InvokeAsync("initialize", new { clientInfo = new { name = "test", version = "1" } });
            Assert.Equal("ClaudeSessionSidecar", (string?)initialize["serverInfo"]!["name"]);
            Assert.Equal(RealClaudeCli.Version, (string?)initialize["claude"]!["version"]);
            Assert.Contains("session/create", initialize["capabilities"]!["methods"]!.Values<string>());

            var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "first prompt", title = "My session" });
            sessionId = (string)created["sessionId"]!;
            Assert.Equal(FakeMessagesApi.ReplyTo("first prompt"), (string?)created["result"]!["text"]);
            Assert.False((bool)created["result"]!["isError"]!);
            Assert.Equal("success", (string?)created["result"]!["subtype"]);
            Assert.Equal("My session", (string?)created["title"]);
            Assert.True((bool)created["status"]!["resumable"]!);
            Assert.True(File.Exists((string)created["status"]!["filePath"]!));

            // The id reached the client before the answer, in a session/message carrying the CLI's init verbatim.
            Assert.Equal(sessionId, await server.FirstSessionId.Task);
            var first = server.Messages.First();
            Assert.Equal("system", (string?)first["message"]!["type"]);
            Assert.Equal("init", (string?)first["message"]!["subtype"]);
            Assert.Contains(server.Messages, m => (string?)m["message"]!["type"] == "result");

            var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "second prompt" });
            Assert.Equal(sessionId, (string?)resumed["sessionId"]);
            Assert.Equal(FakeMessagesApi.ReplyTo("second prompt"), (string?)resumed["result"]!["text"]);

            // The model saw the first turn again: the CLI really resumed the conversation.
            var resumeRequest = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "second prompt");
            Assert.Contains("first prompt", FakeMessagesApi.TextsOf(resumeRequest));

            var listed = await server.InvokeAsync("session/listResumable", new { workingDirectory = environment.Workspace });
            var entry = Assert.Single(listed["sessions"]!);
            Assert.Equal(sessionId, (string?)entry["sessionId"]);
            Assert.Equal("sidecar", (string?)entry["source"]);
            Assert.Equal("first prompt", (string?)entry["firstPrompt"]);
            Assert.Equal(environment.Workspace, (string?)entry["workingDirectory"]);

            Assert.Equal(0, await server.ShutdownAsync());
        }

        await using (var restarted = ServerProcess.Start(environment, output))
        {
            var listed = await restarted.InvokeAsync("session/listResumable", new { });
            Assert.Equal(sessionId, (string?)Assert.Single(listed["sessions"]!)["sessionId"]);

            var again = await restarted.InvokeAsync("session/resume", new { sessionId, prompt = "third prompt" });
            Assert.Equal(FakeMessagesApi.ReplyTo("third prompt"), (string?)again["result"]!["text"]);
            var thirdRequest = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "third prompt");
            Assert.Contains("second prompt", FakeMessagesApi.TextsOf(thirdRequest));
            Assert.Equal(0, await restarted.ShutdownAsync());
        }
    }

    [Fact]
    public async Task A_prompt_that_looks_like_a_flag_and_a_one_megabyte_prompt_reach_the_model_verbatim()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var huge = "start " + string.Concat(Enumerable.Repeat("0123456789abcdef", 65536)) + " end";

        foreach (var prompt in new[] { "--help", "-p --resume x", "line one\nline two \"quoted\" é 😀", huge })
        {
            var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt });
            Assert.Equal(FakeMessagesApi.ReplyTo(prompt), (string?)created["result"]!["text"]);
            Assert.Contains(fixture.Api.Requests, request => FakeMessagesApi.PromptOf(request) == prompt);
        }
    }

    [Fact]
    public async Task The_session_survives_a_client_that_quits_mid_turn()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var server = ServerProcess.Start(environment, output);
        _ = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "[slow:4000] a long turn" });
        var sessionId = await server.FirstSessionId.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // The client goes away mid-turn: stdin closes under the server, which lets the turn finish, then exits.
        server.Process.StandardInput.Close();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await server.DisposeAsync();

        // The transcript was written and the real CLI resumes the session.
        await using var next = ServerProcess.Start(environment, output);
        var status = await next.InvokeAsync("session/status", new { sessionId });
        Assert.True((bool)status["resumable"]!, status.ToString());
        var resumed = await next.InvokeAsync("session/resume", new { sessionId, prompt = "are you there" });
        Assert.Equal(FakeMessagesApi.ReplyTo("are you there"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task Exit_mid_turn_interrupts_the_turn_the_safe_way_and_the_session_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var server = ServerProcess.Start(environment, output);
        var turn = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "[slow:60000] a turn to interrupt" });
        var sessionId = await server.FirstSessionId.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await server.InvokeAsync("shutdown");
        await server.Rpc!.NotifyAsync("exit");

        // Well before the fake model's 60 s: the interrupt ended the turn, and its answer says so.
        var answered = await turn.WaitAsync(TimeSpan.FromSeconds(40));
        Assert.True((bool)answered["result"]!["cancelled"]!);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        await server.DisposeAsync();

        await using var next = ServerProcess.Start(environment, output);
        var status = await next.InvokeAsync("session/status", new { sessionId });
        Assert.True((bool)status["resumable"]!, status.ToString());
        var resumed = await next.InvokeAsync("session/resume", new { sessionId, prompt = "still there?" });
        Assert.Equal(FakeMessagesApi.ReplyTo("still there?"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task A_session_that_will_not_resume_gets_its_reason_and_the_CLI_is_never_run()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "to be lost" });
        var sessionId = (string)created["sessionId"]!;
        File.Delete((string)created["status"]!["filePath"]!);
        var requestsBefore = fixture.Api.Requests.Count;

        var missing = await server.InvokeExpectingErrorAsync("session/resume", new { sessionId, prompt = "hello?" });
        Assert.Equal(-31001, missing.ErrorCode);
        Assert.Equal("session_file_missing", (string?)missing.ErrorData!["reason"]);

        var unknown = await server.InvokeExpectingErrorAsync("session/resume", new { sessionId = Guid.NewGuid().ToString(), prompt = "hello?" });
        Assert.Equal(-31001, unknown.ErrorCode);
        Assert.Equal("metadata_not_found", (string?)unknown.ErrorData!["reason"]);

        Assert.Equal(requestsBefore, fixture.Api.Requests.Count);
        var status = await server.InvokeAsync("session/status", new { sessionId });
        Assert.False((bool)status["resumable"]!);
        Assert.Equal("session_file_missing", (string?)status["reason"]);
    }

    [Fact]
    public async Task A_deleted_working_directory_makes_the_session_unresumable_with_that_reason()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var project = environment.Create("short-lived");
        var created = await server.InvokeAsync("session/create", new { workingDirectory = project, prompt = "hi" });
        Directory.Delete(project, recursive: true);

        var status = await server.InvokeAsync("session/status", new { sessionId = (string)created["sessionId"]! });
        Assert.Equal("working_directory_missing", (string?)status["reason"]);
        var listed = await server.InvokeAsync("session/listResumable", new { });
        Assert.Empty(listed["sessions"]!);
    }

    [Fact]
    public async Task External_sessions_are_listed_only_when_asked_and_their_status_is_known_from_the_folder()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var external = await EngineFactory.RunTurnAsync(environment, environment.Workspace, "made without the sidecar", output: output);
        await using var server = ServerProcess.Start(environment, output);

        var ownOnly = await server.InvokeAsync("session/listResumable", new { workingDirectory = environment.Workspace });
        Assert.Empty(ownOnly["sessions"]!);

        var withExternal = await server.InvokeAsync("session/listResumable", new { workingDirectory = environment.Workspace, includeExternal = true });
        var entry = Assert.Single(withExternal["sessions"]!);
        Assert.Equal(external.SessionId, (string?)entry["sessionId"]);
        Assert.Equal("external", (string?)entry["source"]);
        Assert.Equal("made without the sidecar", (string?)entry["firstPrompt"]);
        Assert.Null(entry["userId"]);

        var everywhere = await server.InvokeAsync("session/listResumable", new { includeExternal = true });
        Assert.Single(everywhere["sessions"]!);

        var status = await server.InvokeAsync("session/status", new { sessionId = external.SessionId, workingDirectory = environment.Workspace });
        Assert.True((bool)status["resumable"]!);
        Assert.Equal(Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(environment.Workspace), external.SessionId + ".jsonl"), (string?)status["filePath"]);

        // And it can be continued through the server.
        var resumed = await server.InvokeAsync("session/resume", new { sessionId = external.SessionId, prompt = "adopted" });
        Assert.Equal(FakeMessagesApi.ReplyTo("adopted"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task Another_users_sessions_never_appear()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "alice's", userId = "alice" });
        var sessionId = (string)created["sessionId"]!;

        Assert.Single((await server.InvokeAsync("session/listResumable", new { userId = "alice" }))["sessions"]!);
        Assert.Empty((await server.InvokeAsync("session/listResumable", new { userId = "bob" }))["sessions"]!);
        Assert.Empty((await server.InvokeAsync("session/listResumable", new { userId = "bob", includeExternal = true }))["sessions"]!);
        Assert.Equal("metadata_not_found", (string?)(await server.InvokeAsync("session/status", new { sessionId, userId = "bob" }))["reason"]);
        var refused = await server.InvokeExpectingErrorAsync("session/resume", new { sessionId, userId = "bob", prompt = "mine now" });
        Assert.Equal(-31001, refused.ErrorCode);
    }

    [Fact]
    public async Task The_limit_keeps_the_newest_sessions()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"session {i}" }))["sessionId"]!);
        }

        var listed = await server.InvokeAsync("session/listResumable", new { limit = 2 });
        Assert.Equal([ids[2], ids[1]], listed["sessions"]!.Select(s => (string)s["sessionId"]!));
    }
}
