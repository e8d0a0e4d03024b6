using System.Collections.Concurrent;
using ClaudeSessionSidecar.Acp;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Protocol;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Nerdbank.Streams;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// The one place both faces bind params, run handlers and turn failures into errors: each face's methods are only
/// <c>Handle(params) → result</c>, so what is checked here holds for every method of both faces.
/// </summary>
public sealed class MethodDispatcherTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> started = new();
    private JsonRpc server = null!;
    private JsonRpc client = null!;

    public sealed class EchoParams
    {
        public string? Text { get; set; }

        public int? Count { get; set; }
    }

    public Task InitializeAsync()
    {
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        server = new JsonRpc(SidecarHost.CreateMessageHandler(serverSide, serverSide, Framing.Newline, new TestLog(output)));
        var methods = new MethodDispatcher(server, RpcErrors.Translate, new TestLog(output));
        methods.Add<EchoParams, string>("echo", p => $"{p.Text}x{p.Count}");
        methods.Add<EchoParams, string>("optional", p => p.Text ?? "none", paramsOptional: true);
        methods.Add<EchoParams, string>("notFound", p => throw new SessionNotFoundException(p.Text!));
        methods.Add<EchoParams, string>("bug", _ => throw new InvalidOperationException("a bug"));
        methods.Add<EchoParams, string>("asyncBug", async (_, _) =>
        {
            await Task.Yield();
            throw new NullReferenceException();
        });
        methods.Add<EchoParams, string>("start", async (p, cancellationToken) =>
        {
            started.Enqueue(p.Text!);
            await Task.Delay(10, cancellationToken);
            return p.Text!;
        });
        server.StartListening();
        client = new JsonRpc(new NewLineDelimitedMessageHandler(clientSide, clientSide, new JsonMessageFormatter()));
        client.StartListening();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        client.Dispose();
        server.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Params_are_bound_strictly_and_a_mismatch_names_the_parameter()
    {
        Assert.Equal("ax2", await client.InvokeWithParameterObjectAsync<string>("echo", new { text = "a", count = 2, unknown = true }));
        Assert.Equal("none", await client.InvokeAsync<string>("optional"));

        var wrongType = await ErrorOfAsync("echo", new JObject { ["text"] = 42 });
        Assert.Equal(-32602, wrongType.Code);
        Assert.Equal("text", (string?)wrongType.Data["parameter"]);

        var missing = await ErrorOfAsync("echo", null);
        Assert.Equal(-32602, missing.Code);
        Assert.Equal("params", (string?)missing.Data["parameter"]);
    }

    [Fact]
    public async Task An_engine_failure_gets_the_faces_code_and_reason()
    {
        var stdio = await ErrorOfAsync("notFound", new JObject { ["text"] = "6b62f9de-7295-48dc-a429-786fb72a0f99" });
        Assert.Equal(-31005, stdio.Code);
        Assert.Equal("session_not_found", (string?)stdio.Data["reason"]);

        // The ACP face's translation: the same failure is ACP's "resource not found", with the project's reason.
        var acp = AcpErrors.Translate(new SessionNotFoundException("6b62f9de-7295-48dc-a429-786fb72a0f99"))!;
        Assert.Equal(-32002, acp.ErrorCode);
        Assert.Equal("session_not_found", ((ErrorData)acp.ErrorData!).Reason);
    }

    [Theory]
    [InlineData("bug")]
    [InlineData("asyncBug")]
    public async Task An_unexpected_failure_is_an_internal_error_with_a_reason_and_the_connection_serves_on(string method)
    {
        var error = await ErrorOfAsync(method, new JObject());
        Assert.Equal(-32603, error.Code);
        Assert.Equal("internal_error", (string?)error.Data["reason"]);
        Assert.Equal("ax1", await client.InvokeWithParameterObjectAsync<string>("echo", new { text = "a", count = 1 }));
    }

    [Fact]
    public async Task Awaiting_handlers_start_in_the_order_their_requests_came()
    {
        var names = Enumerable.Range(0, 200).Select(i => i.ToString("D3")).ToList();
        await Task.WhenAll(names.Select(name => client.InvokeWithParameterObjectAsync<string>("start", new { text = name })));
        Assert.Equal(names, started.ToList());
    }

    private async Task<(int Code, JToken Data)> ErrorOfAsync(string method, JObject? parameters)
    {
        var error = await Assert.ThrowsAnyAsync<RemoteRpcException>(() => parameters is null ? client.InvokeAsync<string>(method) : client.InvokeWithParameterObjectAsync<string>(method, parameters));
        output.WriteLine($"{method}: {error.Message}");
        return error switch
        {
            RemoteInvocationException invocation => (invocation.ErrorCode, (JToken)invocation.ErrorData!),
            RemoteMethodNotFoundException notFound => ((int)notFound.ErrorCode, (JToken)notFound.ErrorData!),
            _ => throw new InvalidOperationException($"unexpected {error.GetType().Name}"),
        };
    }
}
