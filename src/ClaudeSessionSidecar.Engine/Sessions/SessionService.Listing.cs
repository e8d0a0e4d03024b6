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

    /// <summary>The transcripts' summaries and verdicts, kept in the store: an unchanged transcript is never read twice.</summary>
    internal SummaryIndex Summaries { get; } = new(store, log, clock);

    /// <summary>
    /// Every session visible to the user, sorted newest activity first (ties: higher id first, as the SDK sorts).
    /// An external session's activity time is its transcript's modification time, known from one <c>stat</c>: so the
    /// sessions are sorted first and read (when the index has them not) only as the caller takes them, a few at a time
    /// and in parallel. A listing of the newest 50 reads about 50 transcripts the first time, and none after.
    /// </summary>
    private IEnumerable<SessionView> AllSessions(string userId, string? workingDirectory, bool includeExternal)
    {
        var realFilter = workingDirectory is null ? null : RequireDirectory(workingDirectory);
        var own = Store.List(userId, realFilter).Select(View).ToList();
        if (!includeExternal)
        {
            return own.OrderByDescending(session => session.LastActiveAt).ThenByDescending(session => session.SessionId, StringComparer.Ordinal);
        }

        var known = Store.AllSessionIds();
        var folders = realFilter is null ? Locator.AllProjectDirectories() : Locator.ProjectDirectoriesFor(realFilter);
        var scope = new ListingScope(Locator);
        var transcripts = new List<(ScannedTranscript Transcript, string Folder)>();
        foreach (var folder in folders)
        {
            if (Directory.Exists(folder) && Locator.IsInsideProjects(folder))
            {
                transcripts.AddRange(Summaries.Scan(folder).Where(transcript => !known.Contains(transcript.SessionId)).Select(transcript => (transcript, folder)));
            }
        }

        // Known now: the store's sessions, and the few transcripts whose time is not known before reading (links) or
        // that share their id with another (the first that lists, in folder order, wins). The rest wait in order.
        var items = own.Select(view => new ListingItem(view.LastActiveAt, view.SessionId, view, null, null)).ToList();
        foreach (var group in transcripts.GroupBy(pair => pair.Transcript.SessionId, StringComparer.Ordinal))
        {
            if (group.Count() == 1 && group.First() is var (transcript, folder) && transcript.LastModified is { } time)
            {
                items.Add(new ListingItem(time, transcript.SessionId, null, transcript, folder));
                continue;
            }

            var view = group.Select(pair => ExternalView(pair.Transcript, pair.Folder, realFilter, scope)).FirstOrDefault(view => view is not null);
            if (view is not null)
            {
                items.Add(new ListingItem(view.LastActiveAt, view.SessionId, view, null, null));
            }
        }

        items.Sort(static (a, b) => b.Time != a.Time ? b.Time.CompareTo(a.Time) : string.CompareOrdinal(b.SessionId, a.SessionId));
        return InOrder(items, realFilter, scope);
    }

    /// <summary>Yields the sorted items, reading the transcripts not yet indexed a batch at a time (in parallel), and saves what it read.</summary>
    private IEnumerable<SessionView> InOrder(List<ListingItem> items, string? realFilter, ListingScope scope)
    {
        const int Batch = 32;
        var toSave = new List<IndexedTranscript>();
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (item.View is { } resolved)
                {
                    yield return resolved;
                    continue;
                }

                if (item.Transcript!.Entry is null)
                {
                    var pending = items.Skip(i).Where(next => next.Transcript is { Entry: null }).Take(Batch).ToList();
                    var read = Summaries.Read(pending.Select(next => next.Transcript!).ToList(), toSave);
                    for (int j = i, k = 0; k < pending.Count; j++)
                    {
                        if (ReferenceEquals(items[j], pending[k]))
                        {
                            items[j] = items[j] with { Transcript = items[j].Transcript! with { Entry = read[k] }, Unreadable = read[k] is null };
                            k++;
                        }
                    }

                    item = items[i];
                }

                var view = item.Unreadable ? ExternalView(item.Transcript!.Path, realFilter) : ExternalView(item.Transcript!.Entry!, item.Folder!, realFilter, scope);
                if (view is not null)
                {
                    yield return view;
                }
            }
        }
        finally
        {
            Summaries.Save(toSave);
        }
    }

    private SessionView? ExternalView(ScannedTranscript transcript, string folder, string? realFilter, ListingScope scope)
    {
        if (transcript.Entry is null && transcript.Stamp is not null)
        {
            var toSave = new List<IndexedTranscript>();
            transcript = transcript with { Entry = Summaries.Read([transcript], toSave)[0] };
            Summaries.Save(toSave);
        }

        return transcript.Entry is { } entry ? ExternalView(entry, folder, realFilter, scope) : ExternalView(transcript.Path, realFilter);
    }

    /// <summary>One row of a listing: resolved (<see cref="View"/>), or a transcript still to read, sorted by its stamp's time.</summary>
    private sealed record ListingItem(DateTimeOffset Time, string SessionId, SessionView? View, ScannedTranscript? Transcript, string? Folder)
    {
        public bool Unreadable { get; init; }
    }

    /// <summary>
    /// <see cref="ExternalView(string, string?)"/> from an index entry: the same answer, with the file-system questions
    /// that many transcripts share (a working directory's real path, whether it exists, its project folder) asked once per listing.
    /// </summary>
    private SessionView? ExternalView(IndexedTranscript entry, string folder, string? realWorkingDirectory, ListingScope scope)
    {
        var summary = entry.Summary;
        if (summary.StartsAsSidechain || summary.Summary is null)
        {
            return null;
        }

        var workingDirectory = summary.WorkingDirectory;
        if (realWorkingDirectory is not null && workingDirectory is not null && scope.RealPath(workingDirectory) != realWorkingDirectory)
        {
            return null;
        }

        SessionStatus status;
        if (workingDirectory is null || workingDirectory.Length == 0)
        {
            status = workingDirectory is null
                ? SessionStatus.NotResumable(NotResumableReason.NoWorkingDirectory, filePath: entry.Path)
                : SessionStatus.NotResumable(NotResumableReason.NoWorkingDirectory);
        }
        else if (!scope.DirectoryExists(workingDirectory))
        {
            status = SessionStatus.NotResumable(NotResumableReason.WorkingDirectoryMissing, workingDirectory);
        }
        else if (scope.ExactProjectDirectory(scope.RealPath(workingDirectory)) == folder)
        {
            // The CLI looks in the folder's own project directory first, and finds this very file there.
            status = new SessionStatus(entry.NotResumableReason is null, entry.NotResumableReason, entry.Stamp.Size, entry.Path, workingDirectory);
        }
        else
        {
            status = Judge(summary.SessionId, workingDirectory, scope.RealPath(workingDirectory));
        }

        return ExternalSessionView(summary, entry.Path, workingDirectory, status);
    }

    /// <summary>Answers shared by many transcripts of one listing, asked of the file system once.</summary>
    private sealed class ListingScope(TranscriptLocator locator)
    {
        private readonly Dictionary<string, string> realPaths = new(StringComparer.Ordinal);
        private readonly Dictionary<string, bool> existing = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> projectDirectories = new(StringComparer.Ordinal);

        public string RealPath(string path)
        {
            if (!realPaths.TryGetValue(path, out var real))
            {
                realPaths[path] = real = Transcripts.RealPath.Resolve(path) ?? path;
            }

            return real;
        }

        public bool DirectoryExists(string path)
        {
            if (!existing.TryGetValue(path, out var exists))
            {
                existing[path] = exists = Directory.Exists(path);
            }

            return exists;
        }

        public string ExactProjectDirectory(string realWorkingDirectory)
        {
            if (!projectDirectories.TryGetValue(realWorkingDirectory, out var directory))
            {
                projectDirectories[realWorkingDirectory] = directory = Path.Combine(locator.ConfigDirectory.ProjectsPath, ProjectDirectoryName.Encode(realWorkingDirectory));
            }

            return directory;
        }
    }

    /// <summary>A session the store does not know, as its transcript's summary shows it (callers skip summaries with no <c>Summary</c>, as the SDK does).</summary>
    private static SessionView ExternalSessionView(TranscriptSummary summary, string filePath, string? workingDirectory, SessionStatus status) => new(
        summary.SessionId,
        UserId: null,
        workingDirectory,
        summary.CreatedAt ?? summary.LastModified,
        summary.LastModified,
        Title: summary.Title ?? summary.Summary!,
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

    private SessionView View(SessionRecord record)
    {
        var status = StatusOf(record);
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
        return ExternalSessionView(summary, filePath, workingDirectory, status);
    }

    private TranscriptSummary? TrySummarize(string filePath)
    {
        try
        {
            return Summaries.Get(filePath)?.Summary ?? TranscriptSummary.Read(filePath);
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
            var key = TranscriptLines.TryParseObject(Encoding.UTF8.GetString(Convert.FromBase64String(cursor)));
            if (key?["t"]?.Type == JTokenType.Integer && SessionId.Normalize((string?)key["id"]) is { } id)
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
