using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>Cancelling turns, one turn at a time per session, permission prompts and partial messages, with the real CLI.</summary>
public sealed class TurnControlTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Session_cancel_interrupts_the_turn_which_answers_cancelled_and_the_session_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var turn = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "[slow:60000] long" });
        var sessionId = await server.FirstSessionId.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True((bool)(await server.InvokeAsync("session/cancel", new { sessionId }))["cancelled"]!);
        var answer = await turn.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.True((bool)answer["result"]!["cancelled"]!);
        Assert.True((bool)answer["status"]!["resumable"]!, answer.ToString());
        Assert.False((bool)(await server.InvokeAsync("session/cancel", new { sessionId }))["cancelled"]!);
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "after the cancel" });
        Assert.Equal(FakeMessagesApi.ReplyTo("after the cancel"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task A_turn_past_the_timeout_is_interrupted_answers_turn_timeout_with_a_null_exitCode_and_the_session_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output, extraArguments: ["--turn-timeout", "3"]);

        var error = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "[slow:20000] too long" });

        Assert.Equal(-31002, error.ErrorCode);
        var data = (JObject)error.ErrorData!;
        Assert.Equal("turn_timeout", (string?)data["reason"]);
        // The CLI was interrupted, not ended: it is still running, so its exit code is null, and present.
        Assert.True(data.TryGetValue("exitCode", out var exitCode), data.ToString());
        Assert.Equal(JTokenType.Null, exitCode!.Type);
        var sessionId = (string)data["sessionId"]!;
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "after the timeout" });
        Assert.Equal(FakeMessagesApi.ReplyTo("after the timeout"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task A_JSON_RPC_cancelRequest_on_a_resume_interrupts_it_the_same_way()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "first" }))["sessionId"]!;
        var messagesBefore = server.Messages.Count;
        using var cancel = new CancellationTokenSource();

        var turn = server.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:60000] to cancel" }, cancel.Token);
        await Polling.WaitUntilAsync(() => server.Messages.Count > messagesBefore, TimeSpan.FromSeconds(60), "the resumed turn's first message");

        // The client's cancellation sends $/cancelRequest; the server interrupts the CLI and still answers, with a result.
        await cancel.CancelAsync();
        var answer = await turn.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.True((bool)answer["result"]!["cancelled"]!, answer.ToString());
        Assert.Contains(server.Messages.Skip(messagesBefore), m => (string?)m["message"]!["type"] == "result");
        Assert.True((bool)answer["status"]!["resumable"]!, answer.ToString());
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "after the cancel" });
        Assert.Equal(FakeMessagesApi.ReplyTo("after the cancel"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task A_second_turn_on_a_busy_session_gets_busy_in_the_same_server_and_in_another()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var first = ServerProcess.Start(environment, output);
        await using var second = ServerProcess.Start(environment, output);
        var sessionId = (string)(await first.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "start" }))["sessionId"]!;
        var messagesBefore = first.Messages.Count;

        var running = first.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:6000] busy for a while" });
        await Polling.WaitUntilAsync(() => first.Messages.Count > messagesBefore, TimeSpan.FromSeconds(60), "the resumed turn's first message");

        var sameServer = await first.InvokeExpectingErrorAsync("session/resume", new { sessionId, prompt = "me too" });
        var otherServer = await second.InvokeExpectingErrorAsync("session/resume", new { sessionId, prompt = "me too" });
        Assert.Equal(-31004, sameServer.ErrorCode);
        Assert.Equal("session_busy", (string?)sameServer.ErrorData!["reason"]);
        Assert.Equal(-31004, otherServer.ErrorCode);

        Assert.False((bool)(await running)["result"]!["isError"]!);

        // Free again once the turn is over, from either server; and turns on other sessions never waited.
        var after = await second.InvokeAsync("session/resume", new { sessionId, prompt = "my turn now" });
        Assert.Equal(FakeMessagesApi.ReplyTo("my turn now"), (string?)after["result"]!["text"]);
    }

    [Fact]
    public async Task Turns_on_different_sessions_run_in_parallel()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);

        var turns = Enumerable.Range(0, 3).Select(i => server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[slow:4000] parallel {i}" })).ToList();
        var answers = await Task.WhenAll(turns);

        // Every session had started before any of them finished: the turns overlapped, none waited for another.
        Assert.Equal(3, answers.Select(a => (string)a["sessionId"]!).Distinct().Count());
        var order = server.Messages.Select(m => (string?)m["message"]!["type"] == "system" && (string?)m["message"]!["subtype"] == "init" ? "init" : (string?)m["message"]!["type"]).ToList();
        Assert.True(order.LastIndexOf("init") < order.IndexOf("result"), string.Join(", ", order));
    }

    [Fact]
    public async Task An_allowed_tool_runs_and_its_request_reached_the_editor()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "allowed.txt");
        await using var server = ServerProcess.Start(environment, output, permissions: _ => new JObject { ["allow"] = true });

        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{target}]" });

        Assert.True(File.Exists(target), created.ToString());
        Assert.Equal("written by the fake model", File.ReadAllText(target));
        var asked = Assert.Single(server.PermissionRequests);
        Assert.Equal("Write", (string?)asked["toolName"]);
        Assert.Equal(target, (string?)asked["input"]!["file_path"]);
        Assert.Equal((string?)created["sessionId"], (string?)asked["sessionId"]);
    }

    [Fact]
    public async Task A_denied_tool_does_not_run()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "denied.txt");
        await using var server = ServerProcess.Start(environment, output, permissions: _ => new JObject { ["allow"] = false, ["message"] = "not today" });

        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{target}]" });

        Assert.False(File.Exists(target));
        Assert.Single(server.PermissionRequests);
        Assert.Contains("not today", (string?)created["result"]!["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_without_the_permission_method_counts_as_deny()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "unanswered.txt");
        await using var server = ServerProcess.Start(environment, output);

        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{target}]" });

        Assert.False(File.Exists(target));
        Assert.False((bool)created["result"]!["isError"]!);
    }

    [Fact]
    public async Task Partial_messages_are_forwarded_only_when_asked()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);

        await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "whole only" });
        Assert.DoesNotContain(server.Messages, m => (string?)m["message"]!["type"] == "stream_event");

        await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "with chunks", includePartialMessages = true });
        var deltas = server.Messages.Where(m => (string?)m["message"]!["type"] == "stream_event").ToList();
        Assert.Contains(deltas, m => (string?)m["message"]!["event"]!["delta"]?["text"] == FakeMessagesApi.ReplyTo("with chunks"));
    }
}
