using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// A turn whose tool question the editor never answers: a cancel, the client going away, or <c>exit</c> denies it,
/// the turn ends and is answered, and the server exits when asked. With the real CLI asking for the Write tool.
/// </summary>
public sealed class PendingPermissionTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("session/cancel")]
    [InlineData("$/cancelRequest")]
    public async Task A_cancel_ends_a_turn_that_waits_on_an_unanswered_permission_request(string via)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "never.txt");
        await using var server = StartWithSilentEditor(environment);
        using var cancelRequest = new CancellationTokenSource();

        var turn = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{target}]" }, cancelRequest.Token);
        await Polling.WaitUntilAsync(() => !server.PermissionRequests.IsEmpty, Within, "the permission request");
        if (via == "session/cancel")
        {
            var sessionId = (string?)server.PermissionRequests.First()["sessionId"];
            Assert.True((bool)(await server.InvokeAsync("session/cancel", new { sessionId }))["cancelled"]!);
        }
        else
        {
            await cancelRequest.CancelAsync();
        }

        var answer = await turn.WaitAsync(Within);

        Assert.True((bool?)answer["result"]!["cancelled"], answer.ToString());
        Assert.False(File.Exists(target));
        Assert.True((bool)answer["status"]!["resumable"]!, answer.ToString());
        Assert.NotNull(await server.InvokeAsync("initialize", new { }));
    }

    [Fact]
    public async Task The_server_exits_when_its_client_goes_away_during_an_unanswered_permission_request()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "never.txt");
        await using var server = StartWithSilentEditor(environment);

        _ = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{target}]" });
        await Polling.WaitUntilAsync(() => !server.PermissionRequests.IsEmpty, Within, "the permission request");
        var sessionId = (string)server.PermissionRequests.First()["sessionId"]!;
        server.Process.StandardInput.Close();

        await server.WaitForExitAsync(Within);
        Assert.False(File.Exists(target));
        await AssertResumableAsync(environment, sessionId);
    }

    [Fact]
    public async Task Shutdown_and_exit_end_a_turn_that_waits_on_an_unanswered_permission_request()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "never.txt");
        await using var server = StartWithSilentEditor(environment);

        var turn = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{target}]" });
        await Polling.WaitUntilAsync(() => !server.PermissionRequests.IsEmpty, Within, "the permission request");
        var sessionId = (string)server.PermissionRequests.First()["sessionId"]!;

        Assert.Equal(0, await server.ShutdownAsync());
        var answer = await turn.WaitAsync(Within);
        Assert.True((bool?)answer["result"]!["cancelled"], answer.ToString());
        Assert.False(File.Exists(target));
        await AssertResumableAsync(environment, sessionId);
    }

    /// <summary>An editor that takes the permission request and never answers it, not even a cancel of it.</summary>
    private ServerProcess StartWithSilentEditor(TestEnvironment environment) =>
        ServerProcess.Start(environment, output, answerPermissionAsync: _ => new TaskCompletionSource<JObject>().Task);

    private async Task AssertResumableAsync(TestEnvironment environment, string sessionId)
    {
        await using var next = ServerProcess.Start(environment, output);
        var resumed = await next.InvokeAsync("session/resume", new { sessionId, prompt = "after the question" });
        Assert.Equal(FakeMessagesApi.ReplyTo("after the question"), (string?)resumed["result"]!["text"]);
    }
}
