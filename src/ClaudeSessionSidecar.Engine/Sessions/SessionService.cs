using System.Collections.Concurrent;
using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// The engine's front door: starts and continues sessions through the CLI and says whether a session can be
/// resumed and why not (this file), lists them (<c>.Listing</c>) and manages them (<c>.Management</c>).
/// Everything here is transport-neutral.
/// </summary>
public sealed partial class SessionService(ClaudeCli cli, TranscriptLocator locator, SessionStore store, ISidecarLog log, TimeProvider? clock = null, LiveSessionOptions? liveSessions = null)
    : IAsyncDisposable
{
    public const string DefaultPrompt = "Starting new coding session";

    private const int TitleLength = 80;

    private readonly TimeProvider clock = clock ?? TimeProvider.System;
    private readonly SessionLocks locks = new(store.Directory);

    /// <summary>CLI processes kept between turns, and spares started ahead of a create.</summary>
    private readonly LiveProcesses live = new(cli, liveSessions ?? new LiveSessionOptions(), log, clock ?? TimeProvider.System);

    /// <summary>The turns running in this process, by session, so that <see cref="Cancel"/> can stop one.</summary>
    private readonly ConcurrentDictionary<string, CancellationTokenSource> runningTurns = new(StringComparer.Ordinal);

    public ClaudeCli Cli { get; } = cli;

    public TranscriptLocator Locator { get; } = locator;

    public SessionStore Store { get; } = store;

    /// <summary>
    /// Runs the first turn of a new session, in the folder's spare process when one waits there (see
    /// <see cref="Prepare"/>). Its id is chosen before the CLI starts; its metadata is stored as soon as the CLI announces it.
    /// </summary>
    public async Task<TurnResult> CreateAsync(CreateSessionRequest request, ITurnObserver observer, CancellationToken cancellationToken)
    {
        var realWorkingDirectory = RequireDirectory(request.WorkingDirectory);
        var process = await live.TakeSpareAsync(realWorkingDirectory, request.Model, request.PermissionMode, request.IncludePartialMessages)
            ?? Cli.Start(new CliLaunch(request.WorkingDirectory, NewSessionId: Guid.NewGuid().ToString(), Model: request.Model, PermissionMode: request.PermissionMode, IncludePartialMessages: request.IncludePartialMessages));
        var sessionId = process.SessionId!;
        using var sessionLock = locks.TryAcquire(sessionId);
        using var turnCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        runningTurns[sessionId] = turnCancellation;
        var announced = new AnnouncingObserver(observer, announcedId =>
        {
            // The CLI takes the id given; should one ever name another, cancels by that name reach the turn too.
            runningTurns[announcedId] = turnCancellation;
            var now = clock.GetUtcNow();
            try
            {
                Store.Insert(new SessionRecord(
                    announcedId,
                    request.UserId,
                    request.WorkingDirectory,
                    realWorkingDirectory,
                    CreatedAt: now,
                    LastActiveAt: now,
                    Title: string.IsNullOrWhiteSpace(request.Title) ? TitleFrom(request.Prompt) : request.Title,
                    FirstPrompt: request.Prompt));
                log.Info($"Session {announcedId} started in {request.WorkingDirectory}.");
            }
            catch (Exception exception) when (exception is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // The turn goes on regardless (stopping it could lose the session); the CLI's transcript still lists it as external.
                log.Error($"Session {announcedId} started, but its metadata could not be stored: {exception.Message}");
            }
        });

        try
        {
            return await RunTurnAsync(process, request.Prompt, announced, request.UserId, turnCancellation.Token);
        }
        finally
        {
            foreach (var (id, turn) in runningTurns)
            {
                if (turn == turnCancellation)
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
        var status = GetStatus(request.SessionId, request.UserId, workingDirectory: null);
        if (!status.Resumable)
        {
            throw new SessionNotResumableException(request.SessionId, status);
        }

        using var sessionLock = locks.TryAcquire(request.SessionId) ?? throw new SessionBusyException(request.SessionId);
        using var turnCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        runningTurns[request.SessionId] = turnCancellation;
        try
        {
            var process = await live.TakeAsync(request.SessionId, status.FilePath!, request.Model, request.PermissionMode, request.IncludePartialMessages)
                ?? Cli.Start(new CliLaunch(status.WorkingDirectory!, ResumeSessionId: request.SessionId, Model: request.Model, PermissionMode: request.PermissionMode, IncludePartialMessages: request.IncludePartialMessages));
            return await RunTurnAsync(process, request.Prompt, observer, request.UserId, turnCancellation.Token);
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
    /// <returns>False when live sessions are off (nothing was started).</returns>
    public Task<bool> PrepareAsync(string workingDirectory, string? model, string? permissionMode, bool includePartialMessages) =>
        live.PrepareAsync(new CliLaunch(workingDirectory, Model: model, PermissionMode: permissionMode, IncludePartialMessages: includePartialMessages), RequireDirectory(workingDirectory));

    /// <summary>Ends every live and spare CLI process the safe way (each session stays resumable), and waits for them.</summary>
    public ValueTask DisposeAsync() => live.DisposeAsync();

    /// <summary>Stops the session's running turn (in this process) the safe way; its request then answers with <c>Cancelled</c> set.</summary>
    /// <returns>False when no turn of that session runs here.</returns>
    public bool Cancel(string sessionId, string userId)
    {
        if (!runningTurns.TryGetValue(sessionId, out var turn) || Store.Get(sessionId) is { } record && record.UserId != userId)
        {
            return false;
        }

        try
        {
            turn.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Whether the CLI would resume the session, judged from the store, the path rule and the transcript.</summary>
    /// <param name="workingDirectory">Where to look for a session the store does not know.</param>
    public SessionStatus GetStatus(string sessionId, string userId, string? workingDirectory)
    {
        var record = Store.Get(sessionId);
        if (record is not null && record.UserId != userId)
        {
            // Another user's session is not to be seen, not even as "exists".
            return SessionStatus.NotResumable(NotResumableReason.MetadataNotFound);
        }

        if (record is not null)
        {
            return StatusOf(record);
        }

        if (workingDirectory is not null)
        {
            return Judge(sessionId, workingDirectory, RealPath.Resolve(workingDirectory) ?? workingDirectory);
        }

        // Not ours and no folder given: find it the way the CLI's --resume does, in any project folder.
        var transcript = Locator.Locate(sessionId, realWorkingDirectory: null);
        if (transcript is null)
        {
            return SessionStatus.NotResumable(NotResumableReason.MetadataNotFound);
        }

        string? recordedDirectory;
        try
        {
            recordedDirectory = TranscriptSummary.Read(transcript).WorkingDirectory;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return SessionStatus.NotResumable(NotResumableReason.SessionFileUnreadable, filePath: transcript);
        }

        if (string.IsNullOrEmpty(recordedDirectory))
        {
            var verdict = TranscriptJudge.Judge(transcript);
            return WithoutWorkingDirectory(transcript, verdict.Reason, verdict.FileSize);
        }

        return Judge(sessionId, recordedDirectory, RealPath.Resolve(recordedDirectory) ?? recordedDirectory);
    }

    private SessionStatus Judge(string sessionId, string workingDirectory, string realWorkingDirectory)
    {
        if (string.IsNullOrEmpty(workingDirectory))
        {
            return SessionStatus.NotResumable(NotResumableReason.NoWorkingDirectory);
        }

        if (!Directory.Exists(workingDirectory))
        {
            return SessionStatus.NotResumable(NotResumableReason.WorkingDirectoryMissing, workingDirectory);
        }

        var transcript = Locator.Locate(sessionId, realWorkingDirectory);
        if (transcript is null)
        {
            return SessionStatus.NotResumable(NotResumableReason.SessionFileMissing, workingDirectory);
        }

        var verdict = TranscriptJudge.Judge(transcript);
        return new SessionStatus(verdict.Reason is null, verdict.Reason, verdict.FileSize, transcript, workingDirectory);
    }

    /// <summary>Runs a turn in the process, then keeps the process for the session's next turn or closes it. The caller holds the session's lock.</summary>
    private async Task<TurnResult> RunTurnAsync(CliProcess process, string prompt, ITurnObserver observer, string userId, CancellationToken cancellationToken)
    {
        TurnResult? result = null;
        try
        {
            var outcome = await process.RunTurnAsync(prompt, observer, keepRunning: live.Enabled, cancellationToken);
            result = Finish(outcome, userId);
            return result;
        }
        finally
        {
            if (result is { Status.Resumable: true })
            {
                await live.KeepOrCloseAsync(result.SessionId, process, result.Status.FilePath);
            }
            else
            {
                await process.DisposeAsync();
            }
        }
    }

    private TurnResult Finish(CliTurnOutcome outcome, string userId)
    {
        Store.Touch(outcome.SessionId, clock.GetUtcNow());
        var record = Store.Get(outcome.SessionId);
        var status = record is not null && record.UserId == userId ? StatusOf(record) : GetStatus(outcome.SessionId, userId, workingDirectory: null);
        return new TurnResult(outcome.SessionId, status, outcome, record);
    }

    /// <summary>The status of a session the store knows: judged where it ran (by its real path now, else as recorded).</summary>
    private SessionStatus StatusOf(SessionRecord record) => Judge(record.SessionId, record.WorkingDirectory, RealWorkingDirectoryOf(record));

    private static string RealWorkingDirectoryOf(SessionRecord record) => RealPath.Resolve(record.WorkingDirectory) ?? record.RealWorkingDirectory;

    private static string RequireDirectory(string workingDirectory)
    {
        if (!Path.IsPathFullyQualified(workingDirectory))
        {
            throw new InvalidSessionRequestException("workingDirectory", $"workingDirectory must be an absolute path: {workingDirectory}");
        }

        if (!Directory.Exists(workingDirectory))
        {
            throw new InvalidSessionRequestException("workingDirectory", $"workingDirectory does not exist or is not a folder: {workingDirectory}");
        }

        return RealPath.Resolve(workingDirectory) ?? throw new InvalidSessionRequestException("workingDirectory", $"workingDirectory cannot be resolved: {workingDirectory}");
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
