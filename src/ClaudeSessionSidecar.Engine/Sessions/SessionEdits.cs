using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>The changes an editor makes to a session (title, tag, archive, delete, fork), written as the official SDK writes them.</summary>
public sealed class SessionEdits(SessionCatalog catalog, SessionTurns turns, SessionLocks locks, ISidecarLog log, TimeProvider clock)
{
    /// <summary>Sets the title the SDK and the CLI show: a <c>custom-title</c> line, and the store's title.</summary>
    public string Rename(string sessionId, string userId, string title)
    {
        var trimmed = title.Trim();
        if (trimmed.Length == 0)
        {
            throw new InvalidSessionRequestException("title", "title must not be blank.");
        }

        var (record, path) = catalog.Find(sessionId, userId, workingDirectory: null);
        TranscriptEditor.AppendCustomTitle(path, sessionId, trimmed);
        if (record is not null)
        {
            catalog.Records.SetTitle(sessionId, trimmed);
        }

        MirrorEdit(record, path);

        return trimmed;
    }

    /// <summary>Tags the session (a <c>tag</c> line); null or empty clears the tag.</summary>
    public string? Tag(string sessionId, string userId, string? tag)
    {
        var clean = tag is null ? string.Empty : TagText.Sanitize(tag);
        if (tag is not null && clean.Length == 0)
        {
            throw new InvalidSessionRequestException("tag", "tag must not be blank (use null to clear it).");
        }

        var (record, path) = catalog.Find(sessionId, userId, workingDirectory: null);
        TranscriptEditor.AppendTag(path, sessionId, clean);
        MirrorEdit(record, path);
        return clean.Length == 0 ? null : clean;
    }

    /// <summary>Archives or unarchives: <c>archived.json</c> beside the transcript, as the SDK writes it. A later prompt unarchives, as in the CLI.</summary>
    public void SetArchived(string sessionId, string userId, bool archived)
    {
        var (record, path) = catalog.Find(sessionId, userId, workingDirectory: null);
        ArchiveState.Write(path, archived, clock.GetUtcNow());
        MirrorEdit(record, path);
    }

    /// <summary>Removes the transcript, the session's folder and its metadata; refused while a turn runs.</summary>
    /// <exception cref="SessionBusyException">A turn is running on it, here or in another process.</exception>
    public async Task DeleteAsync(string sessionId, string userId, string? workingDirectory)
    {
        var (record, path) = catalog.Find(sessionId, userId, workingDirectory, allowMissingTranscript: true);
        using var sessionLock = locks.TryAcquire(sessionId) ?? throw new SessionBusyException(sessionId);

        // Its live process is closed first, so that nothing writes to the transcript once it is gone.
        await turns.CloseLiveProcessAsync(sessionId);
        if (File.Exists(path))
        {
            TranscriptEditor.Delete(path);
        }

        if (record is not null)
        {
            catalog.Records.Delete(sessionId);
        }

        log.Info($"Session {sessionId} deleted.");
    }

    /// <summary>With a shared store, gives it the change just written to the local transcript.</summary>
    private void MirrorEdit(SessionRecord? record, string path)
    {
        if (catalog.Mirror is { } mirror && record?.Shared is not null)
        {
            mirror.MirrorEdit(record.SessionId, path);
        }
    }

    /// <summary>
    /// A new session holding a copy of this one's conversation (up to and including <paramref name="upToMessageId"/>),
    /// the SDK's way; the original is untouched. The new session belongs to the user and is stored.
    /// </summary>
    public SessionRecord Fork(string sessionId, string userId, string? upToMessageId, string? title)
    {
        var (record, path) = catalog.Find(sessionId, userId, workingDirectory: null);
        string forkId, forkPath;
        try
        {
            // The title the session's view shows: its transcript's custom title, else the one given at create.
            var sourceTitle = record is null ? null : TranscriptSummary.Read(path).CustomTitle ?? record.Title;
            (forkId, forkPath) = TranscriptEditor.Fork(path, sessionId, upToMessageId, title, sourceTitle, clock.GetUtcNow());
        }
        catch (ArgumentException exception)
        {
            throw new InvalidSessionRequestException("upToMessageId", exception.Message);
        }

        // The fork's lines keep the original's cwd, so its summary names the folder of a session the store does not know.
        var summary = TranscriptSummary.Read(forkPath);
        var workingDirectory = record?.WorkingDirectory ?? summary.WorkingDirectory ?? string.Empty;
        var now = clock.GetUtcNow();
        var fork = new SessionRecord(
            forkId,
            userId,
            workingDirectory,
            RealPath.Resolve(workingDirectory) ?? record?.RealWorkingDirectory ?? workingDirectory,
            now,
            now,
            summary.CustomTitle ?? title ?? "Forked session",
            record?.FirstPrompt ?? summary.FirstPrompt ?? string.Empty);
        catalog.Records.Insert(fork);
        MirrorEdit(catalog.Records.Get(forkId), forkPath);
        log.Info($"Session {sessionId} forked into {forkId}.");
        return fork;
    }
}
