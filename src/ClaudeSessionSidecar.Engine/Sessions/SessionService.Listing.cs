using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>Listings: the store's sessions of a user, plus (when asked) the CLI's own, each with its status.</summary>
public sealed partial class SessionService
{
    /// <summary>The user's resumable sessions, newest activity first.</summary>
    public IReadOnlyList<SessionView> ListResumable(ListResumableRequest request) =>
        AllSessions(request.UserId, request.WorkingDirectory, request.IncludeExternal)
            .Where(session => session.Status.Resumable)
            .Take(request.Limit)
            .ToList();

    /// <summary>One page of every session of the user, resumable or not, newest activity first.</summary>
    /// <exception cref="InvalidSessionRequestException">The cursor is not one this server gave.</exception>
    public SessionPage List(ListSessionsRequest request)
    {
        var after = request.Cursor is null ? null : DecodeCursor(request.Cursor);
        var page = AllSessions(request.UserId, request.WorkingDirectory, request.IncludeExternal)
            .Where(session => (request.IncludeArchived || !session.Archived) && (request.IncludeProgrammatic || !session.IsProgrammatic))
            .Where(session => after is null || IsAfter(session, after.Value))
            .Take(request.Limit + 1)
            .ToList();
        return page.Count > request.Limit
            ? new SessionPage(page[..request.Limit], EncodeCursor(page[request.Limit - 1]))
            : new SessionPage(page, null);
    }

    /// <summary>One session's view, or null when this user cannot see it.</summary>
    /// <param name="workingDirectory">Where to look first for a session the store does not know.</param>
    public SessionView? Info(string sessionId, string userId, string? workingDirectory)
    {
        var record = Store.Get(sessionId);
        if (record is not null)
        {
            return record.UserId == userId ? View(record) : null;
        }

        var transcript = Locator.Locate(sessionId, workingDirectory is null ? null : RealPath.Resolve(workingDirectory) ?? workingDirectory);
        return transcript is null ? null : ExternalView(transcript, realWorkingDirectory: null);
    }

    /// <summary>Every session visible to the user, sorted newest activity first (ties: higher id first, as the SDK sorts).</summary>
    private IEnumerable<SessionView> AllSessions(string userId, string? workingDirectory, bool includeExternal)
    {
        var realFilter = workingDirectory is null ? null : RequireDirectory(workingDirectory);
        var sessions = Store.List(userId, realFilter).Select(View).ToList();
        if (includeExternal)
        {
            var known = Store.AllSessionIds();
            var folders = realFilter is null ? Locator.AllProjectDirectories() : Locator.ProjectDirectoriesFor(realFilter);
            sessions.AddRange(folders
                .SelectMany(Locator.TranscriptsIn)
                .Where(transcript => !known.Contains(transcript.SessionId))
                .Select(transcript => ExternalView(transcript.FilePath, realFilter))
                .OfType<SessionView>()
                .DistinctBy(session => session.SessionId));
        }

        return sessions.OrderByDescending(session => session.LastActiveAt).ThenByDescending(session => session.SessionId, StringComparer.Ordinal);
    }

    private SessionView View(SessionRecord record)
    {
        var status = Judge(record.SessionId, record.WorkingDirectory, RealPath.Resolve(record.WorkingDirectory) ?? record.RealWorkingDirectory);
        var summary = status.FilePath is { } path ? TrySummarize(path) : null;
        var lastWrite = summary?.LastModified;
        return new SessionView(
            record.SessionId,
            record.UserId,
            record.WorkingDirectory,
            record.CreatedAt,
            LastActiveAt: lastWrite > record.LastActiveAt ? lastWrite.Value : record.LastActiveAt,
            Title: summary?.CustomTitle ?? record.Title,
            summary?.FirstPrompt ?? record.FirstPrompt,
            summary?.CustomTitle,
            summary?.Tag,
            summary?.Archived ?? false,
            summary?.GitBranch,
            summary?.FileSize,
            status.FilePath,
            SessionSource.Sidecar,
            status,
            summary?.IsProgrammatic ?? true);
    }

    /// <summary>A transcript the store does not know, as the SDK would list it; null for what the SDK skips.</summary>
    private SessionView? ExternalView(string filePath, string? realWorkingDirectory)
    {
        var summary = TrySummarize(filePath);
        if (summary is null || summary.StartsAsSidechain || summary.Summary is null)
        {
            return null;
        }

        // Two folders can share a project dir name (/a.b and /a-b): keep the transcripts of the one asked for.
        var workingDirectory = summary.WorkingDirectory;
        if (realWorkingDirectory is not null && workingDirectory is not null && (RealPath.Resolve(workingDirectory) ?? workingDirectory) != realWorkingDirectory)
        {
            return null;
        }

        var status = workingDirectory is null
            ? SessionStatus.NotResumable(NotResumableReason.NoWorkingDirectory, filePath: filePath)
            : Judge(summary.SessionId, workingDirectory, RealPath.Resolve(workingDirectory) ?? workingDirectory);
        return new SessionView(
            summary.SessionId,
            UserId: null,
            workingDirectory,
            summary.CreatedAt ?? summary.LastModified,
            summary.LastModified,
            Title: summary.Title ?? summary.Summary,
            summary.FirstPrompt ?? string.Empty,
            summary.CustomTitle,
            summary.Tag,
            summary.Archived ?? false,
            summary.GitBranch,
            summary.FileSize,
            filePath,
            SessionSource.External,
            status,
            summary.IsProgrammatic);
    }

    private TranscriptSummary? TrySummarize(string filePath)
    {
        try
        {
            return TranscriptSummary.Read(filePath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Debug($"Skipped unreadable transcript {filePath}: {exception.Message}");
            return null;
        }
    }

    /// <summary>The cursor is the sort key of the last session on the page: later pages start after it, so sessions added meanwhile (newer) never shift them.</summary>
    private static string EncodeCursor(SessionView last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JObject { ["t"] = last.LastActiveAt.ToUnixTimeMilliseconds(), ["id"] = last.SessionId }.ToString(Newtonsoft.Json.Formatting.None)));

    private static (long Time, string SessionId)? DecodeCursor(string cursor)
    {
        try
        {
            var key = JObject.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(cursor)));
            if (key["t"]?.Type == JTokenType.Integer && SessionId.Normalize((string?)key["id"]) is { } id)
            {
                return ((long)key["t"]!, id);
            }
        }
        catch (Exception exception) when (exception is FormatException or Newtonsoft.Json.JsonException)
        {
        }

        throw new InvalidSessionRequestException("cursor", "cursor is not one this server gave (use nextCursor from the previous page).");
    }

    private static bool IsAfter(SessionView session, (long Time, string SessionId) cursor)
    {
        var time = session.LastActiveAt.ToUnixTimeMilliseconds();
        return time < cursor.Time || time == cursor.Time && string.CompareOrdinal(session.SessionId, cursor.SessionId) < 0;
    }
}
