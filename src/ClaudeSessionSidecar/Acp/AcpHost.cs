using System.Collections.Concurrent;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

/// <summary>
/// The Agent Client Protocol (v1) face over the same engine as the stdio face: newline-delimited JSON-RPC on a pair of
/// streams, the tolerant <see cref="FramedMessageHandler"/> (a malformed line answers -32700 and the next is read).
/// <see cref="Start"/>, then <see cref="WaitForExitAsync"/>: it ends when the client closes its side.
/// </summary>
public sealed class AcpHost : IAsyncDisposable
{
    private readonly JsonRpc rpc;
    private readonly FramedMessageHandler messageHandler;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Task, bool> promptsInFlight = new();

    public AcpHost(Stream input, Stream output, SessionService services, ISidecarLog log)
    {
        Services = services;
        Log = log;
        messageHandler = SidecarHost.CreateMessageHandler(input, output, Framing.Newline, log);
        rpc = new JsonRpc(messageHandler)
        {
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        rpc.AddLocalRpcTarget(new AcpAgent(this));
    }

    public SessionService Services { get; }

    public ISidecarLog Log { get; }

    /// <summary>The OS user: ACP names no user, so every session of this face is the OS user's (as the stdio face's default).</summary>
    public string UserId { get; init; } = Environment.UserName;

    internal JsonRpc Rpc => rpc;

    /// <summary>Cancelled at the end of the client's input: from then on no answer from the client can arrive.</summary>
    internal CancellationToken ClientInputEnded => messageHandler.InputEnded;

    public void Start() => rpc.StartListening();

    /// <summary>Completes when the client closes the connection, after every prompt in flight has ended the safe way.</summary>
    public async Task<int> WaitForExitAsync()
    {
        try
        {
            await rpc.Completion;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Log.Error($"The connection failed: {exception.Message}");
        }

        // Stop every running turn the way the CLI survives (interrupt first), and wait for each transcript to be written.
        await stopping.CancelAsync();
        await Task.WhenAll(promptsInFlight.Keys);
        await Services.DisposeAsync();
        return 0;
    }

    /// <summary>Runs a prompt's turn so that the end of the connection stops it safely, and the host waits for it before exiting.</summary>
    internal async Task<T> RunTurnAsync<T>(Func<CancellationToken, Task<T>> turn, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        var running = turn(linked.Token);
        promptsInFlight.TryAdd(running, true);
        try
        {
            return await running;
        }
        finally
        {
            promptsInFlight.TryRemove(running, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        rpc.Dispose();
        try
        {
            await rpc.Completion;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Already reported by WaitForExitAsync.
        }

        stopping.Dispose();
    }
}
