using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Nerdbank.Streams;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// Every parameter is checked: bad input gets -32602 naming the parameter, nothing runs, and the server keeps
/// serving. In-memory (a pipe pair and a real client <see cref="JsonRpc"/>), with a CLI that must never start.
/// </summary>
public sealed class InvalidParamsTests : IAsyncLifetime
{
    private readonly ITestOutputHelper output;
    private readonly TestEnvironment environment = new();
    private SidecarHost host = null!;
    private JsonRpc client = null!;
    private Task<int> serverExit = null!;
    private string neverRunMarker = null!;

    public InvalidParamsTests(ITestOutputHelper output) => this.output = output;

    public Task InitializeAsync()
    {
        neverRunMarker = Path.Combine(environment.Root, "cli-was-run");
        var cli = ScriptedCli.Write(environment, "claude", $"touch '{neverRunMarker}'\nexit 1");
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        host = new SidecarHost(serverSide, serverSide, EngineFactory.Sessions(environment, output, cli), Framing.ContentLength, new TestLog(output));
        host.Start();
        serverExit = host.WaitForExitAsync();
        client = new JsonRpc(new HeaderDelimitedMessageHandler(clientSide, clientSide, new JsonMessageFormatter()));
        client.StartListening();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await client.InvokeAsync<object?>("shutdown");
        await client.NotifyAsync("exit");
        Assert.Equal(0, await serverExit.WaitAsync(TimeSpan.FromSeconds(30)));
        client.Dispose();
        await host.DisposeAsync();
        Assert.False(File.Exists(neverRunMarker), "a request with bad params ran the CLI");
        environment.Dispose();
    }

    public static TheoryData<string, string, string> BadRequests() => new()
    {
        { "session/create", "{}", "workingDirectory" },
        { "session/create", """{"workingDirectory":"relative/path"}""", "workingDirectory" },
        { "session/create", """{"workingDirectory":"/no/such/folder/anywhere"}""", "workingDirectory" },
        { "session/create", """{"workingDirectory":"/tmp\u0000/x"}""", "workingDirectory" },
        { "session/create", """{"workingDirectory":"/tmp","prompt":""}""", "prompt" },
        { "session/create", """{"workingDirectory":"/tmp","permissionMode":"yolo"}""", "permissionMode" },
        { "session/create", """{"workingDirectory":"/tmp","model":"--dangerously-skip-permissions"}""", "model" },
        { "session/create", """{"workingDirectory":"/tmp","userId":""}""", "userId" },
        { "session/resume", """{"prompt":"hi"}""", "sessionId" },
        { "session/resume", """{"sessionId":"../../etc/passwd","prompt":"hi"}""", "sessionId" },
        { "session/resume", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b/../x","prompt":"hi"}""", "sessionId" },
        { "session/resume", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b"}""", "prompt" },
        { "session/status", """{"sessionId":"not-a-uuid"}""", "sessionId" },
        { "session/status", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","workingDirectory":"x"}""", "workingDirectory" },
        { "session/listResumable", """{"limit":0}""", "limit" },
        { "session/listResumable", """{"limit":1001}""", "limit" },
        { "session/listResumable", """{"workingDirectory":"./here"}""", "workingDirectory" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_params_get_invalid_params_naming_the_parameter(string method, string parameters, string parameter)
    {
        if (parameters.Contains("\"/tmp\"", StringComparison.Ordinal))
        {
            parameters = parameters.Replace("\"/tmp\"", JsonString(environment.Workspace), StringComparison.Ordinal);
        }

        var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeWithParameterObjectAsync<JToken>(method, JObject.Parse(parameters)));

        output.WriteLine($"{error.ErrorCode} {error.Message}");
        Assert.Equal(-32602, error.ErrorCode);
        Assert.Equal(parameter, (string?)((JToken)error.ErrorData!)["parameter"]);
        Assert.Equal("invalid_params", (string?)((JToken)error.ErrorData!)["reason"]);
        Assert.NotNull(await client.InvokeWithParameterObjectAsync<JToken>("initialize", new { }));
    }

    public static TheoryData<string, string> WrongTypes() => new()
    {
        { "session/listResumable", """{"limit":"ten"}""" },
        { "session/listResumable", """{"includeExternal":"yes"}""" },
        { "session/create", """{"workingDirectory":42}""" },
        { "session/resume", """{"sessionId":{"a":1},"prompt":"x"}""" },
        { "session/status", """{"sessionId":["5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b"]}""" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Wrong_types_get_invalid_params(string method, string parameters)
    {
        var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeWithParameterObjectAsync<JToken>(method, JObject.Parse(parameters)));

        output.WriteLine($"{error.ErrorCode} {error.Message}");
        Assert.Equal(-32602, error.ErrorCode);
        Assert.NotNull(await client.InvokeWithParameterObjectAsync<JToken>("initialize", new { }));
    }

    [Theory]
    [InlineData("session/create")]
    [InlineData("session/resume")]
    [InlineData("session/status")]
    public async Task Missing_params_get_invalid_params(string method)
    {
        var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<JToken>(method));

        Assert.Equal(-32602, error.ErrorCode);
    }

    [Fact]
    public async Task An_unknown_method_gets_method_not_found()
    {
        var error = await Assert.ThrowsAsync<RemoteMethodNotFoundException>(() => client.InvokeWithParameterObjectAsync<JToken>("session/teleport", new { }));

        Assert.Equal(-32601, (int)error.ErrorCode);
        Assert.NotNull(await client.InvokeWithParameterObjectAsync<JToken>("initialize", new { }));
    }

    [Fact]
    public async Task Shutdown_twice_is_harmless_and_answers_null()
    {
        Assert.Null(await client.InvokeAsync<object?>("shutdown"));
        Assert.Null(await client.InvokeAsync<object?>("shutdown"));
        var refused = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            client.InvokeWithParameterObjectAsync<JToken>("session/create", new { workingDirectory = environment.Workspace, prompt = "late" }));
        Assert.Equal(-32600, refused.ErrorCode);
    }

    private static string JsonString(string value) => new JValue(value).ToString(Newtonsoft.Json.Formatting.None);
}
