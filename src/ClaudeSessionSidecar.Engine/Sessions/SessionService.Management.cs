using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>A session's conversation, and the changes an editor makes to it, written as the official SDK writes them.</summary>
public sealed partial class SessionService
{
    /// <summary>The conversation in order (the <c>parentUuid</c> chain, as the CLI resumes it), a page of it.</summary>
    /// <exception cref="SessionNotFoundException">No such session for this user.</exception>
    public (IReadOnlyList<JObject> Messages, int Total) Messages(string sessionId, string userId, string? workingDirectory, int offset, int? limit, bool includeSystem)
    {
        var (_, path) = Resolve(sessionId, userId, workingDirectory);
        var shown = ConversationChain.Read(path).Where(entry => ConversationChain.IsShown(entry, includeSystem)).ToList();
        var page = shown.Skip(offset);
        return ((limit is { } count ? page.Take(count) : page).ToList(), shown.Count);
    }

    /// <summary>The number of messages <see cref="Messages"/> would give (user and assistant).</summary>
    public int MessageCount(string filePath) =>
        ConversationChain.Read(filePath).Count(entry => ConversationChain.IsShown(entry, includeSystem: false));

    /// <summary>Sets the title the SDK and the CLI show: a <c>custom-title</c> line, and the store's title.</summary>
    public string Rename(string sessionId, string userId, string title)
    {
        var trimmed = title.Trim();
        if (trimmed.Length == 0)
        {
            throw new InvalidSessionRequestException("title", "title must not be blank.");
        }

        var (record, path) = Resolve(sessionId, userId, workingDirectory: null);
        TranscriptEditor.AppendCustomTitle(path, sessionId, trimmed);
        if (record is not null)
        {
            Store.SetTitle(sessionId, trimmed);
        }

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

        var (_, path) = Resolve(sessionId, userId, workingDirectory: null);
        TranscriptEditor.AppendTag(path, sessionId, clean);
        return clean.Length == 0 ? null : clean;
    }

    /// <summary>Archives or unarchives: <c>archived.json</c> beside the transcript, as the SDK writes it. A later prompt unarchives, as in the CLI.</summary>
    public void SetArchived(string sessionId, string userId, bool archived)
    {
        var (_, path) = Resolve(sessionId, userId, workingDirectory: null);
        ArchiveState.Write(path, archived, clock.GetUtcNow());
    }

    /// <summary>Removes the transcript, the session's folder and its metadata; refused while a turn runs.</summary>
    /// <exception cref="SessionBusyException">A turn is running on it, here or in another process.</exception>
    public async Task DeleteAsync(string sessionId, string userId, string? workingDirectory)
    {
        var (record, path) = Resolve(sessionId, userId, workingDirectory, allowMissingTranscript: true);
        using var sessionLock = locks.TryAcquire(sessionId) ?? throw new SessionBusyException(sessionId);

        // Its live process is closed first, so that nothing writes to the transcript once it is gone.
        await live.CloseAsync(sessionId);
        if (File.Exists(path))
        {
            TranscriptEditor.Delete(path);
        }

        if (record is not null)
        {
            Store.Delete(sessionId);
        }

        log.Info($"Session {sessionId} deleted.");
    }

    /// <summary>
    /// A new session holding a copy of this one's conversation (up to and including <paramref name="upToMessageId"/>),
    /// the SDK's way; the original is untouched. The new session belongs to the user and is stored.
    /// </summary>
    public SessionRecord Fork(string sessionId, string userId, string? upToMessageId, string? title)
    {
        var (record, path) = Resolve(sessionId, userId, workingDirectory: null);
        string forkId, forkPath;
        try
        {
            (forkId, forkPath) = TranscriptEditor.Fork(path, sessionId, upToMessageId, title, clock.GetUtcNow());
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
        Store.Insert(fork);
        log.Info($"Session {sessionId} forked into {forkId}.");
        return fork;
    }

    /// <summary>The session's store record (when it has one) and transcript, for this user.</summary>
    private (SessionRecord? Record, string TranscriptPath) Resolve(string sessionId, string userId, string? workingDirectory, bool allowMissingTranscript = false)
    {
        var record = Store.Get(sessionId);
        if (record is not null && record.UserId != userId)
        {
            throw new SessionNotFoundException(sessionId);
        }

        var where = record is not null ? RealWorkingDirectoryOf(record)
            : workingDirectory is not null ? RealPath.Resolve(workingDirectory) ?? workingDirectory
            : null;
        var path = Locator.Locate(sessionId, where);
        if (path is not null && File.Exists(path))
        {
            return (record, path);
        }

        if (record is not null && allowMissingTranscript)
        {
            return (record, path ?? string.Empty);
        }

        throw new SessionNotFoundException(sessionId);
    }
}
