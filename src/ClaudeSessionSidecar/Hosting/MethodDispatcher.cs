using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// One protocol face's methods on a connection. A handler is <c>Handle(params) → result</c>; what every method needs
/// happens here, once: the params object is read strictly into the handler's params type (-32602 naming the
/// parameter), a synchronous handler runs on the thread pool (off the connection's reader), and whatever it throws becomes
/// the face's error: the engine's expected failures through the face's translation, anything else a logged -32603
/// with <c>data.reason: "internal_error"</c> (not StreamJsonRpc's bare -32000, which ACP reads as "auth required").
/// </summary>
public sealed class MethodDispatcher(JsonRpc rpc, Func<Exception, LocalRpcException?> translate, ISidecarLog log)
{
    private readonly List<string> requestNames = [];

    /// <summary>The request methods added, in the order they were added (for <c>initialize</c>'s capabilities).</summary>
    public IReadOnlyList<string> RequestNames => requestNames;

    /// <summary>A request whose work is synchronous engine calls (file and store reads and writes): it runs on the thread pool.</summary>
    /// <param name="paramsOptional">True for a method whose params may be left out entirely.</param>
    public void Add<TParams, TResult>(string name, Func<TParams, TResult> handle, bool paramsOptional = false)
        where TParams : new() =>
        Add<TParams, TResult>(name, (parameters, _) => Task.Run(() => handle(parameters)), paramsOptional);

    /// <summary>
    /// A request whose work awaits: a turn, a CLI process, the client. It starts on the connection's reader, so what it
    /// does before its first await happens in the order the requests came (a prompt is running before a cancel sent
    /// after it is read); it must not block before that await.
    /// </summary>
    public void Add<TParams, TResult>(string name, Func<TParams, CancellationToken, Task<TResult>> handle, bool paramsOptional = false)
        where TParams : new()
    {
        var method = new Method<TParams, TResult>(this, handle, paramsOptional);
        rpc.AddLocalRpcMethod(
            typeof(Method<TParams, TResult>).GetMethod(nameof(Method<TParams, TResult>.InvokeAsync))!,
            method,
            new JsonRpcMethodAttribute(name) { UseSingleObjectParameterDeserialization = true });
        requestNames.Add(name);
    }

    /// <summary>A notification: it has no answer to carry an error, so a bad one is logged by its handler, not thrown.</summary>
    public void AddNotification(string name, Action<JToken?> handle)
    {
        var notification = new Notification(handle);
        rpc.AddLocalRpcMethod(
            typeof(Notification).GetMethod(nameof(Notification.Invoke))!,
            notification,
            new JsonRpcMethodAttribute(name) { UseSingleObjectParameterDeserialization = true });
    }

    private async Task<TResult> DispatchAsync<TParams, TResult>(
        JToken? parameters,
        bool paramsOptional,
        Func<TParams, CancellationToken, Task<TResult>> handle,
        CancellationToken cancellationToken)
        where TParams : new()
    {
        try
        {
            return await handle(ParamsReader.Read<TParams>(parameters, required: !paramsOptional), cancellationToken);
        }
        catch (Exception exception) when (translate(exception) is { } error)
        {
            throw error;
        }
        catch (Exception exception) when (exception is LocalRpcException or OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            log.Error($"A request failed unexpectedly: {exception}");
            throw new LocalRpcException($"The server failed: {ClientText.Cut(exception.Message)}")
            {
                ErrorCode = ErrorCodes.InternalError,
                ErrorData = new ErrorData { Reason = "internal_error" },
            };
        }
    }

    /// <summary>What StreamJsonRpc calls: one object per method, so that its one parameter binds the whole params object.</summary>
    private sealed class Method<TParams, TResult>(MethodDispatcher dispatcher, Func<TParams, CancellationToken, Task<TResult>> handle, bool paramsOptional)
        where TParams : new()
    {
        public Task<TResult> InvokeAsync(JToken? parameters = null, CancellationToken cancellationToken = default) =>
            dispatcher.DispatchAsync(parameters, paramsOptional, handle, cancellationToken);
    }

    private sealed class Notification(Action<JToken?> handle)
    {
        public void Invoke(JToken? parameters = null) => handle(parameters);
    }
}
