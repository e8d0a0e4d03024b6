using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// Every error the server raises, read by a StreamJsonRpc client over the built server's real stdio, as a C#
/// client would: the code and <c>data</c> arrive intact, never taken for one of StreamJsonRpc's own codes
/// (it reads -32003 as a serialization failure and -32004's data as an exception).
/// </summary>
public sealed class StreamJsonRpcClientErrorTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private const string UnknownSessionId = "6b62f9de-7295-48dc-a429-786fb72a0f99";

    [Fact]
    public async Task Invalid_params_and_an_unknown_method_keep_the_standard_codes_and_their_data()
    {
        using var environment = new TestEnvironment();
        await using var server = ServerProcess.Start(environment, output);

        // StreamJsonRpc reports both standard codes as RemoteMethodNotFoundException, with the code and data.
        var invalid = await Assert.ThrowsAsync<RemoteMethodNotFoundException>(() => server.InvokeAsync("session/status", new { sessionId = "../etc" }));
        Assert.Equal(JsonRpcErrorCode.InvalidParams, invalid.ErrorCode);
        var data = Assert.IsAssignableFrom<JToken>(invalid.ErrorData);
        Assert.Equal("invalid_params", (string?)data["reason"]);
        Assert.Equal("sessionId", (string?)data["parameter"]);

        var unknown = await Assert.ThrowsAsync<RemoteMethodNotFoundException>(() => server.InvokeAsync("session/nope", new { }));
        Assert.Equal(JsonRpcErrorCode.MethodNotFound, unknown.ErrorCode);
    }

    [Fact]
    public async Task Session_not_found_and_not_resumable_arrive_as_invocation_errors_with_their_reason()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);

        var notFound = await InvocationErrorAsync(server.InvokeAsync("session/info", new { sessionId = UnknownSessionId }));
        Assert.Equal(-31005, notFound.ErrorCode);
        Assert.Equal("session_not_found", Reason(notFound));
        Assert.Equal(UnknownSessionId, (string?)Data(notFound)["sessionId"]);

        var notResumable = await InvocationErrorAsync(server.InvokeAsync("session/resume", new { sessionId = UnknownSessionId, prompt = "hello?" }));
        Assert.Equal(-31001, notResumable.ErrorCode);
        Assert.Equal("metadata_not_found", Reason(notResumable));
        Assert.False((bool)Data(notResumable)["status"]!["resumable"]!);
    }

    [Fact]
    public async Task A_busy_session_arrives_as_an_invocation_error_not_as_a_serialized_exception()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "start" }))["sessionId"]!;
        var messagesBefore = server.Messages.Count;
        var running = server.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:60000] busy" });
        await PollAsync(() => server.Messages.Count > messagesBefore, TimeSpan.FromSeconds(60));

        var busy = await InvocationErrorAsync(server.InvokeAsync("session/resume", new { sessionId, prompt = "me too" }));

        Assert.Equal(-31004, busy.ErrorCode);
        Assert.Equal("session_busy", Reason(busy));
        Assert.Equal(sessionId, (string?)Data(busy)["sessionId"]);
        Assert.True((bool)(await server.InvokeAsync("session/cancel", new { sessionId }))["cancelled"]!);
        await running.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_missing_CLI_arrives_as_an_invocation_error_not_as_a_serialization_failure()
    {
        using var environment = new TestEnvironment();
        await using var server = ServerProcess.Start(environment, output, claudePath: Path.Combine(environment.Root, "no-such-claude"));

        var notFound = await InvocationErrorAsync(server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" }));

        Assert.Equal(-31003, notFound.ErrorCode);
        Assert.Equal("cli_not_found", Reason(notFound));
    }

    [Fact]
    public async Task A_failing_CLI_arrives_with_its_exit_code_and_stderr()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", "echo 'out of luck' >&2\nexit 3");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var failed = await InvocationErrorAsync(server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" }));

        Assert.Equal(-31002, failed.ErrorCode);
        Assert.Equal("cli_exited_without_result", Reason(failed));
        Assert.Equal(3, (int?)Data(failed)["exitCode"]);
        Assert.Contains("out of luck", (string?)Data(failed)["stderr"], StringComparison.Ordinal);
    }

    /// <summary>Exactly <see cref="RemoteInvocationException"/>: not a subclass StreamJsonRpc makes for codes it owns.</summary>
    private async Task<RemoteInvocationException> InvocationErrorAsync(Task call)
    {
        var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => call);
        output.WriteLine($"{error.ErrorCode} {error.Message} {error.ErrorData}");
        return error;
    }

    private static JToken Data(RemoteInvocationException error) => Assert.IsAssignableFrom<JToken>(error.ErrorData);

    private static string? Reason(RemoteInvocationException error) => (string?)Data(error)["reason"];

    private static async Task PollAsync(Func<bool> condition, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
