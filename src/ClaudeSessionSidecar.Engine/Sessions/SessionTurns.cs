using System.Collections.Concurrent;
using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Identifiers;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// Running turns: creates and continues sessions through the CLI, one turn at a time per session, in the session's
/// live process when it may take the turn, and stops them the safe way on cancel.
/// </summary>
public sealed class SessionTurns(ClaudeCli cli, SessionCatalog catalog, SessionLocks locks, ISidecarLog log, TimeProvider clock, LiveSessionOptions liveSessions)
    : IAsyncDisposable
{
    public const string DefaultPrompt = "Starting new coding session";

    private const int TitleLength = 80;

    /// <summary>CLI processes kept between turns, and spares started ahead of a create.</summary>
    private readonly LiveProcesses live = new(cli, liveSessions, log, clock);

    /// <summary>The turns running in this process, by session, with the user who runs each, so that <see cref="Cancel"/> can stop one.</summary>
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Stop, string UserId)> runningTurns = new(StringComparer.Ordinal);

    /// <summary>What the CLI last reported of its commands and models, by real folder and MCP configuration.</summary>
    private readonly ConcurrentDictionary<(string Folder, string? McpConfig), CliCapabilities> capabilitiesSeen = new();

    /// <summary>
    /// Runs the first turn of a new session, in the folder's spare process when one waits there (see
    /// <see cref="Prepare"/>). Its id is chosen before the CLI starts; its metadata is stored as soon as the CLI announces it.
    /// </summary>
    public async Task<TurnResult> CreateAsync(CreateSessionRequest request, ITurnObserver observer, CancellationToken cancellationToken)
    {
        var realWorkingDirectory = SessionCatalog.RequireDirectory(request.WorkingDirectory);
        var chosenId = request.SessionId is null ? null : RequireNewSessionId(request.SessionId);
        var process = await live.TakeSpareAsync(realWorkingDirectory, request.Model, request.PermissionMode, request.IncludePartialMessages, chosenId, request.McpConfig, request.Entrypoint)
            ?? cli.Start(new CliLaunch(request.WorkingDirectory, NewSessionId: chosenId ?? Guid.NewGuid().ToString(), Model: request.Model, PermissionMode: request.PermissionMode, IncludePartialMessages: request.IncludePartialMessages, McpConfig: request.McpConfig, Entrypoint: request.Entrypoint));
        var sessionId = process.SessionId!;
        IDisposable? sessionLock;
        try
        {
            sessionLock = locks.TryAcquire(sessionId);
        }
        catch (StoreUnavailableException)
        {
            // Nothing has run: the shared store must hear of a session before it starts.
            await process.DisposeAsync();
            throw;
        }

        using var heldLock = sessionLock;
        var transcriptPath = catalog.Mirror?.TranscriptPath(sessionId, realWorkingDirectory);
        using var turnCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        runningTurns[sessionId] = (turnCancellation, request.UserId);
        var announced = new AnnouncingObserver(observer, announcedId =>
        {
            // The CLI takes the id given; should one ever name another, cancels by that name reach the turn too.
            runningTurns[announcedId] = (turnCancellation, request.UserId);
            var now = clock.GetUtcNow();
            var record = new SessionRecord(
                announcedId,
                request.UserId,
                request.WorkingDirectory,
                realWorkingDirectory,
                CreatedAt: now,
                LastActiveAt: now,
                Title: string.IsNullOrWhiteSpace(request.Title) ? TitleFrom(request.Prompt) : request.Title,
                FirstPrompt: FirstPrompt.Shorten(request.Prompt));
            try
            {
                catalog.Records.Insert(record);
                log.Info($"Session {announcedId} started in {request.WorkingDirectory}.");
            }
            catch (StoreUnavailableException exception) when (catalog.Mirror is { } mirror)
            {
                // The shared store went away since this turn took its lock: the record waits with the turn's mirror.
                mirror.KeepUnsaved(record);
                log.Error($"Session {announcedId} started, but the database went away before it heard of it: {exception.Message}");
            }
            catch (Exception exception) when (exception is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // The turn goes on regardless (stopping it could lose the session); the CLI's transcript still lists it as external.
                log.Error($"Session {announcedId} started, but its metadata could not be stored: {exception.Message}");
            }
        });

        try
        {
            return await RunTurnAsync(process, (JToken?)request.PromptContent ?? new JValue(request.Prompt), announced, request.UserId, transcriptPath, turnCancellation.Token);
        }
        finally
        {
            foreach (var (id, turn) in runningTurns)
            {
                if (turn.Stop == turnCancellation)
                {
                    runningTurns.TryRemove(id, out _);
                }
            }
        }
    }

    /// <summary>Runs one more turn of a session the CLI would resume; refuses (without running anything) when it would not.</summary>
    /// <exception cref="SessionNotResumableException">The CLI would refuse it.</exception>
    /// <exception cref="SessionBusyException">A turn is already running on it, here or in another process.</exception>
    public async Task<TurnResult> ResumeAsync(ResumeSessionRequest request, ITurnObserver observer, CancellationToken cancellationToken)
    {
        var status = catalog.GetStatus(request.SessionId, request.UserId, request.WorkingDirectory, out var record);
        if (!status.Resumable)
        {
            throw new SessionNotResumableException(request.SessionId, status);
        }

        using var sessionLock = locks.TryAcquire(request.SessionId) ?? throw new SessionBusyException(request.SessionId);
        string? transcriptPath = null;
        if (catalog.Mirror is { } mirror && record is { Shared: not null })
        {
            // Another machine (or another config folder here) may have taken turns since this one's live process last ran: it would not know them.
            transcriptPath = status.FilePath!;
            if (mirror.NeedsRefresh(record, transcriptPath))
            {
                await live.CloseAsync(request.SessionId);
                mirror.Refresh(record, transcriptPath);
            }
        }

        using var turnCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        runningTurns[request.SessionId] = (turnCancellation, request.UserId);
        try
        {
            var process = await live.TakeAsync(request.SessionId, status.FilePath!, request.Model, request.PermissionMode, request.IncludePartialMessages, request.McpConfig, request.Entrypoint)
                ?? cli.Start(new CliLaunch(status.WorkingDirectory!, ResumeSessionId: request.SessionId, Model: request.Model, PermissionMode: request.PermissionMode, IncludePartialMessages: request.IncludePartialMessages, McpConfig: request.McpConfig, Entrypoint: request.Entrypoint));
            return await RunTurnAsync(process, (JToken?)request.PromptContent ?? new JValue(request.Prompt), observer, request.UserId, transcriptPath, turnCancellation.Token);
        }
        finally
        {
            runningTurns.TryRemove(request.SessionId, out _);
        }
    }

    /// <summary>
    /// Starts a spare CLI process in a folder, so that the next <see cref="CreateAsync"/> there skips the CLI's start.
    /// A spare that is never used leaves no transcript, no record and no process behind.
    /// </summary>
    /// <param name="sessionId">The id the spare's session is to take (the create that takes it names the same id); null for any.</param>
    /// <param name="mcpConfig">The MCP servers the create will name (a spare started with others is not taken).</param>
    /// <param name="entrypoint">The entrypoint the create will name (as in <see cref="CreateSessionRequest"/>; a spare started with another is not taken).</param>
    /// <returns>False when live sessions are off (nothing was started).</returns>
    public Task<bool> PrepareAsync(string workingDirectory, string? model, string? permissionMode, bool includePartialMessages, string? sessionId = null, string? mcpConfig = null, string? entrypoint = null) =>
        live.PrepareAsync(
            new CliLaunch(workingDirectory, NewSessionId: sessionId is null ? null : RequireNewSessionId(sessionId), Model: model, PermissionMode: permissionMode, IncludePartialMessages: includePartialMessages, McpConfig: mcpConfig, Entrypoint: entrypoint),
            SessionCatalog.RequireDirectory(workingDirectory));

    /// <summary>What the CLI last reported in that folder (with those MCP servers), without asking it; null when it has not.</summary>
    public CliCapabilities? KnownCapabilities(string workingDirectory, string? mcpConfig = null) =>
        RealPath.Resolve(workingDirectory) is { } folder && capabilitiesSeen.TryGetValue((folder, mcpConfig), out var seen) ? seen : null;

    /// <summary>
    /// The CLI's commands and models in a folder (with those MCP servers, whose prompts are commands too): what the
    /// spare waiting there reports, else what the CLI last reported there, else what a CLI started only to ask says
    /// (closed at once; like an unused spare it leaves no trace). Null when the CLI cannot be run or does not say.
    /// </summary>
    /// <param name="fresh">Ask a new CLI, whatever was reported before (a login changes what it says of its account).</param>
    public async Task<CliCapabilities?> CapabilitiesAsync(string workingDirectory, string? mcpConfig = null, bool fresh = false)
    {
        var key = (SessionCatalog.RequireDirectory(workingDirectory), mcpConfig);
        if (!fresh && live.SpareInitializationAsync(key.Item1, mcpConfig) is { } spare && await spare is { } fromSpare)
        {
            return capabilitiesSeen[key] = fromSpare;
        }

        if (!fresh && capabilitiesSeen.TryGetValue(key, out var seen))
        {
            return seen;
        }

        try
        {
            await using var asked = cli.Start(new CliLaunch(workingDirectory, NewSessionId: Guid.NewGuid().ToString(), McpConfig: mcpConfig));
            return await asked.InitializeAsync() is { } reported ? capabilitiesSeen[key] = reported : null;
        }
        catch (CliNotFoundException exception)
        {
            log.Warning($"No commands or models from the CLI: {exception.Message}");
            return null;
        }
    }

    /// <summary>
    /// Closes the session's live process (or the spare prepared with its id) the safe way; the session stays resumable.
    /// </summary>
    /// <exception cref="SessionBusyException">A turn is running on it.</exception>
    public async Task CloseAsync(string sessionId)
    {
        using var sessionLock = locks.TryAcquire(sessionId) ?? throw new SessionBusyException(sessionId);
        await live.CloseAsync(sessionId);
    }

    /// <summary>Closes the session's live process, if it has one (before its transcript is deleted). The caller holds the session's lock.</summary>
    internal Task CloseLiveProcessAsync(string sessionId) => live.CloseAsync(sessionId);

    /// <summary>Ends every live and spare CLI process the safe way (each session stays resumable), and waits for them.</summary>
    public ValueTask DisposeAsync() => live.DisposeAsync();

    /// <summary>Stops the session's running turn (in this process) the safe way; its request then answers with <c>Cancelled</c> set.</summary>
    /// <returns>False when no turn of that session runs here.</returns>
    public bool Cancel(string sessionId, string userId)
    {
        // The turn knows its user: no store is asked, so a cancel works with the database away.
        if (!runningTurns.TryGetValue(sessionId, out var turn) || turn.UserId != userId)
        {
            return false;
        }

        try
        {
            turn.Stop.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Runs a turn in the process, then keeps the process for the session's next turn or closes it. The caller holds the session's lock.</summary>
    /// <param name="transcriptPath">With a shared store, the transcript to mirror; null for none.</param>
    private async Task<TurnResult> RunTurnAsync(CliProcess process, JToken prompt, ITurnObserver observer, string userId, string? transcriptPath, CancellationToken cancellationToken)
    {
        TurnResult? result = null;
        var mirroring = catalog.Mirror is { } mirror && transcriptPath is not null ? mirror.Observe(observer, process.SessionId!, transcriptPath) : null;
        try
        {
            var outcome = await process.RunTurnAsync(prompt, (ITurnObserver?)mirroring ?? observer, keepRunning: live.Enabled, cancellationToken);
            var mirrored = mirroring is null ? (bool?)null : await mirroring.FinishAsync();
            result = Finish(outcome, userId, process.Launch.WorkingDirectory) with { Mirrored = mirrored };
            return result;
        }
        finally
        {
            if (result is null && mirroring is not null)
            {
                // A failed turn may still have written: that much is mirrored too.
                await mirroring.FinishAsync();
            }

            // A process whose transcript the reconcile rewrote from the store's copy would not know it: closed, not kept.
            if (result is { Status.Resumable: true } && mirroring is not { LocalRewritten: true })
            {
                await live.KeepOrCloseAsync(result.SessionId, process, result.Status.FilePath);
            }
            else
            {
                await process.DisposeAsync();
            }
        }
    }

    private TurnResult Finish(CliTurnOutcome outcome, string userId, string workingDirectory)
    {
        SessionRecord? record;
        try
        {
            catalog.Records.TurnEnded(outcome.SessionId, clock.GetUtcNow(), outcome.TotalCostUsd);
            record = catalog.Records.Get(outcome.SessionId);
        }
        catch (StoreUnavailableException)
        {
            // The turn ran and is kept here: its answer stands, judged from the local transcript; the store hears of it when it is back.
            return new TurnResult(outcome.SessionId, catalog.JudgeHere(outcome.SessionId, workingDirectory), outcome, Record: null);
        }

        var status = record is not null && record.UserId == userId ? catalog.StatusOf(record) : catalog.GetStatus(outcome.SessionId, userId, workingDirectory: null);
        return new TurnResult(outcome.SessionId, status, outcome, record);
    }


    /// <summary>A face's chosen id for a new session: a UUID (the CLI's <c>--session-id</c> takes nothing else) no session has yet.</summary>
    private string RequireNewSessionId(string sessionId)
    {
        var normalized = SessionId.Normalize(sessionId) ?? throw new InvalidSessionRequestException("sessionId", $"sessionId must be a UUID: {ClientText.Quote(sessionId)}");
        return catalog.Records.Get(normalized) is null && catalog.Locator.Locate(normalized, realWorkingDirectory: null) is null
            ? normalized
            : throw new InvalidSessionRequestException("sessionId", $"A session with id {normalized} exists already.");
    }

    /// <summary>The prompt's first non-blank line, cut as the SDK cuts its first prompt (here at 80 UTF-16 units, then "…").</summary>
    internal static string TitleFrom(string prompt) =>
        FirstPrompt.Shorten(prompt.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.Length > 0) ?? string.Empty, TitleLength);

    /// <summary>Stores the session the moment the CLI names it, then passes everything on.</summary>
    private sealed class AnnouncingObserver(ITurnObserver inner, Action<string> onAnnounced) : ITurnObserver
    {
        private bool announced;

        public async ValueTask OnSessionStartedAsync(string sessionId)
        {
            if (!announced)
            {
                announced = true;
                onAnnounced(sessionId);
            }

            await inner.OnSessionStartedAsync(sessionId);
        }

        public ValueTask OnMessageAsync(string sessionId, JObject message) => inner.OnMessageAsync(sessionId, message);

        public ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken) =>
            inner.RequestPermissionAsync(sessionId, request, cancellationToken);
    }
}
