using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ClaudeSessionSidecar.Acp;
using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Methods.Lifecycle;
using ClaudeSessionSidecar.Methods.Session;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// The JSON-RPC server on a pair of streams, speaking one protocol face over the engine: this project's stdio
/// protocol, or the Agent Client Protocol. It never touches <see cref="Console"/>: <c>Program</c> hands it stdio,
/// tests hand it pipes. <see cref="Start"/>, then <see cref="WaitForExitAsync"/>.
/// </summary>
public sealed class SidecarHost : System.IAsyncDisposable
{
    public const string ServerName = "ClaudeSessionSidecar";

    public static readonly string ServerVersion =
        typeof(SidecarHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly JsonRpc rpc;
    private readonly FramedMessageHandler messageHandler;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource exitRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<Task, bool> turnsInFlight = new();
    private readonly Protocol protocol;
    private volatile bool shutdownRequested;
    private volatile ClientChoice? clientChoice;

    /// <param name="framing">The stdio face's framing; the ACP face is newline-delimited, always.</param>
    public SidecarHost(Stream input, Stream output, SessionService services, Framing framing, ISidecarLog log, Protocol protocol = Protocol.Stdio)
    {
        Services = services;
        Log = log;
        this.protocol = protocol;
        messageHandler = CreateMessageHandler(input, output, protocol == Protocol.Acp ? Framing.Newline : framing, log);
        rpc = new JsonRpc(messageHandler)
        {
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        var methods = new MethodDispatcher(rpc, protocol == Protocol.Acp ? AcpErrors.Translate : RpcErrors.Translate, log);
        if (protocol == Protocol.Acp)
        {
            new AcpAgent(this).AddTo(methods);
        }
        else
        {
            new LifecycleMethods(this).AddTo(methods);
            new SessionMethods(this).AddTo(methods);
        }

        MethodNames = methods.RequestNames;
    }

    public SessionService Services { get; }

    public ISidecarLog Log { get; }

    /// <summary>The OS user, for requests that name no <c>userId</c> (and for every ACP session: ACP names no user).</summary>
    public string DefaultUserId { get; init; } = Environment.UserName;

    /// <summary>The command line's <c>--entrypoint</c> (for <c>call</c>: programmatic unless it says); null when not given.</summary>
    public SessionKind? EntrypointOption { get; init; }

    /// <summary>The entrypoint of this connection's turns: what <c>initialize</c> said, else <see cref="EntrypointOption"/>, else interactive.</summary>
    public SessionEntrypoint Entrypoint => EntrypointFor(null);

    /// <summary>Every request method of this face, in the order its dispatcher took them.</summary>
    public IReadOnlyList<string> MethodNames { get; }

    internal JsonRpc Rpc => rpc;

    /// <summary>Cancelled at the end of the client's input: from then on no answer from the client can arrive.</summary>
    internal CancellationToken ClientInputEnded => messageHandler.InputEnded;

    /// <summary>Starts <paramref name="then"/> once the method's <paramref name="result"/> has been written as its answer.</summary>
    internal void AfterAnswer(object result, Func<Task> then) => messageHandler.AfterAnswer(result, then);

    /// <summary>Why <see cref="CreateServices"/> can fail on a good command line: an unusable store (a folder, a PostgreSQL URL, a newer schema).</summary>
    public static bool IsStartFailure(Exception exception) =>
        exception is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or Microsoft.Data.Sqlite.SqliteException or StoreSchemaException;

    /// <summary>The CLI the options name (<c>--claude-path</c>, else the usual places), run with their config folder.</summary>
    public static ClaudeCli CreateCli(ServerOptions options, ClaudeConfigDirectory configDirectory, ISidecarLog log) => new(
        new ClaudeCliOptions
        {
            ExecutablePath = ClaudeCliLocator.Locate(options.ClaudePath, Environment.GetEnvironmentVariable),
            ConfigDirectoryOverride = configDirectory.IsCliDefault ? null : configDirectory.Path,
            TurnTimeout = options.TurnTimeout,
            SessionMirror = options.PostgresStore is not null,
        },
        log);

    /// <summary>Builds the engine from the options: the CLI, the path rule's config folder, and the store.</summary>
    /// <param name="oneRequest">For <c>call</c>: no process outlives the one request, so none is kept between turns.</param>
    public static SessionService CreateServices(ServerOptions options, ISidecarLog log, bool oneRequest = false)
    {
        var configDirectory = ClaudeConfigDirectory.Resolve(options.ClaudeConfigDirectory, Environment.GetEnvironmentVariable);
        var cli = CreateCli(options, configDirectory, log);

        // The stdio face's `initialize` tells the CLI's version: ask it now (a child process, ~30 ms), so that it runs
        // while the store opens and the host is built rather than after (Start asks again: the answer is cached).
        if (!oneRequest && options.Protocol == Protocol.Stdio)
        {
            _ = Task.Run(cli.GetVersionAsync);
        }

        var store = SessionStore.OpenKeepingListings(options.StoreDirectory ?? SessionStore.DefaultDirectory());
        var shared = options.PostgresStore is { } postgres ? PostgresStore.Open(postgres) : null;
        var liveSessions = oneRequest ? options.LiveSessions with { MaxProcesses = 0 } : options.LiveSessions;
        var services = new SessionService(cli, new TranscriptLocator(configDirectory), store, log, liveSessions: liveSessions, shared: shared);

        // Turns that ran here while the database was away (or before this server was killed) reach it when it answers.
        services.Mirror?.StartRetrying(TimeSpan.FromSeconds(oneRequest ? 3600 : 5));
        return services;
    }

    public void Start()
    {
        rpc.StartListening();

        // Ask the CLI its version while the client is still connecting, so that `initialize` finds it ready.
        _ = Task.Run(Services.GetClaudeVersionAsync);
    }

    /// <summary>Completes when the client sends <c>exit</c> or closes the connection, after every turn in flight has ended the safe way.</summary>
    /// <returns>The process exit code: 1 for an <c>exit</c> without <c>shutdown</c> first (as in LSP), else 0.</returns>
    public async Task<int> WaitForExitAsync()
    {
        await Task.WhenAny(rpc.Completion, exitRequested.Task);
        var exitCode = exitRequested.Task.IsCompleted && !shutdownRequested ? 1 : 0;
        if (rpc.Completion.IsFaulted)
        {
            Log.Error($"The connection failed: {rpc.Completion.Exception?.InnerException?.Message}");
        }

        // Stop every running turn the way the CLI survives (interrupt first), and wait for each transcript to be written.
        await stopping.CancelAsync();
        await Task.WhenAll(turnsInFlight.Keys);

        // Close the CLI processes kept between turns the safe way: each writes what it holds, and none is orphaned.
        await Services.DisposeAsync();

        // Let the answers of those turns reach the client before the connection is torn down.
        using var answerTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await messageHandler.WhenAllAnsweredAsync(answerTimeout.Token);
        }
        catch (OperationCanceledException)
        {
            Log.Warning("Some answers were not written before exit.");
        }

        return exitCode;
    }

    /// <summary>The entrypoint for a turn that asks for a kind itself (null: the connection's).</summary>
    public SessionEntrypoint EntrypointFor(SessionKind? asked)
    {
        var choice = clientChoice;
        var kind = asked ?? choice?.Kind ?? EntrypointOption ?? SessionKind.Interactive;
        return protocol == Protocol.Acp ? SessionEntrypoint.ForAcp(kind) : SessionEntrypoint.ForStdio(kind, choice?.ClientName);
    }

    /// <summary>What the stdio face's <c>initialize</c> said of the client; it holds for the turns started after it.</summary>
    internal void SetClient(SessionKind? kind, string? clientName) => clientChoice = new ClientChoice(kind, clientName);

    public void RequestShutdown() => shutdownRequested = true;

    /// <summary>After <c>shutdown</c>, whatever only serves a turn (a turn, a spare CLI for one) is refused with -32600 <c>shutting_down</c>.</summary>
    internal void RefuseNewTurnsAfterShutdown()
    {
        if (shutdownRequested || stopping.IsCancellationRequested)
        {
            throw new LocalRpcException("The server is shutting down and takes no new turns.") { ErrorCode = ErrorCodes.InvalidRequest, ErrorData = new ErrorData { Reason = "shutting_down" } };
        }
    }

    public void RequestExit() => exitRequested.TrySetResult();

    /// <summary>Runs a turn so that a client's cancel, a disconnect or <c>exit</c> stops it safely, and the host waits for it before exiting.</summary>
    internal async Task<T> RunTurnAsync<T>(Func<CancellationToken, Task<T>> turn, CancellationToken requestToken)
    {
        RefuseNewTurnsAfterShutdown();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestToken, stopping.Token);
        var running = turn(linked.Token);
        turnsInFlight.TryAdd(running, true);
        try
        {
            return await running;
        }
        finally
        {
            turnsInFlight.TryRemove(running, out _);
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

    internal static FramedMessageHandler CreateMessageHandler(Stream input, Stream output, Framing framing, ISidecarLog log)
    {
        var formatter = new JsonMessageFormatter();
        formatter.JsonSerializer.ContractResolver = new DefaultContractResolver
        {
            NamingStrategy = new CamelCaseNamingStrategy { ProcessDictionaryKeys = false, OverrideSpecifiedNames = false },
        };

        // The CLI's messages are forwarded verbatim: keep date-like strings as strings.
        formatter.JsonSerializer.DateParseHandling = DateParseHandling.None;
        formatter.JsonSerializer.Converters.Add(new UtcTimeConverter());
        formatter.JsonSerializer.Converters.Add(new PreSerializedListConverter());
        return new FramedMessageHandler(input, output, formatter, framing, log);
    }
}

/// <summary>What a client said of itself in <c>initialize</c>: the kind it asked for (null: none) and its <c>clientInfo.name</c>.</summary>
internal sealed record ClientChoice(SessionKind? Kind, string? ClientName);
