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
public sealed partial class SessionService(ClaudeCli cli, TranscriptLocator locator, SessionStore store, ISidecarLog log, TimeProvider? clock = null)
{
    public const string DefaultPrompt = "Starting new coding session";

    private const int TitleLength = 80;

    private readonly TimeProvider clock = clock ?? TimeProvider.System;
    private readonly SessionLocks locks = new(store.Directory);

    /// <summary>The turns running in this process, by session, so that <see cref="Cancel"/> can stop one.</summary>
    private readonly ConcurrentDictionary<string, CancellationTokenSource> runningTurns = new(StringComparer.Ordinal);

    public ClaudeCli Cli { get; } = cli;

    public TranscriptLocator Locator { get; } = locator;

    public SessionStore Store { get; } = store;

    /// <summary>Runs the first turn of a new session. Its metadata is stored as soon as the CLI announces it.</summary>
    public async Task<TurnResult> CreateAsync(CreateSessionRequest request, ITurnObserver observer, CancellationToken cancellationToken)
    {
        var realWorkingDirectory = RequireDirectory(request.WorkingDirectory);
        using var turnCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? announcedId = null;
        var announced = new AnnouncingObserver(observer, sessionId =>
        {
            announcedId = sessionId;
            runningTurns[sessionId] = turnCancellation;
            var now = clock.GetUtcNow();
            try
            {
                Store.Insert(new SessionRecord(
                    sessionId,
                    request.UserId,
                    request.WorkingDirectory,
                    realWorkingDirectory,
                    CreatedAt: now,
                    LastActiveAt: now,
                    Title: string.IsNullOrWhiteSpace(request.Title) ? TitleFrom(request.Prompt) : request.Title,
                    FirstPrompt: request.Prompt));
                log.Info($"Session {sessionId} started in {request.WorkingDirectory}.");
            }
            catch (Exception exception) when (exception is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // The turn goes on regardless (stopping it could lose the session); the CLI's transcript still lists it as external.
                log.Error($"Session {sessionId} started, but its metadata could not be stored: {exception.Message}");
            }

            return locks.TryAcquire(sessionId);
        });

        try
        {
            var outcome = await Cli.RunTurnAsync(
                new CliTurnRequest(request.WorkingDirectory, request.Prompt, Model: request.Model, PermissionMode: request.PermissionMode, IncludePartialMessages: request.IncludePartialMessages),
                announced,
                turnCancellation.Token);
            return Finish(outcome, request.UserId);
        }
        finally
        {
            if (announcedId is not null)
            {
                runningTurns.TryRemove(announcedId, out _);
            }

            announced.Lock?.Dispose();
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
            var outcome = await Cli.RunTurnAsync(
                new CliTurnRequest(status.WorkingDirectory!, request.Prompt, ResumeSessionId: request.SessionId, Model: request.Model, PermissionMode: request.PermissionMode, IncludePartialMessages: request.IncludePartialMessages),
                observer,
                turnCancellation.Token);
            return Finish(outcome, request.UserId);
        }
        finally
        {
            runningTurns.TryRemove(request.SessionId, out _);
        }
    }

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

    /// <summary>Stores the session (and takes its lock) the moment the CLI names it, then passes everything on.</summary>
    private sealed class AnnouncingObserver(ITurnObserver inner, Func<string, IDisposable?> onAnnounced) : ITurnObserver
    {
        public IDisposable? Lock { get; private set; }

        public async ValueTask OnSessionStartedAsync(string sessionId)
        {
            Lock = onAnnounced(sessionId);
            await inner.OnSessionStartedAsync(sessionId);
        }

        public ValueTask OnMessageAsync(string sessionId, JObject message) => inner.OnMessageAsync(sessionId, message);

        public ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken) =>
            inner.RequestPermissionAsync(sessionId, request, cancellationToken);
    }
}
