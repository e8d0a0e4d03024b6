using ClaudeSessionSidecar.Engine.Identifiers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// What there is to know about sessions, never changing them: whether the CLI would resume one and why not, the
/// listings (the store's sessions of a user, plus, when asked, the CLI's own), a session's view and conversation.
/// Its <see cref="Find"/> is the one lookup-and-ownership step every method on an existing session goes through.
/// </summary>
/// <param name="store">This machine's SQLite store: the summary cache of the transcripts here.</param>
/// <param name="records">Where the sessions' metadata is: the same store, or a shared PostgreSQL one.</param>
/// <param name="mirror">With a shared store, what keeps the local transcripts and the store's copies equal.</param>
public sealed class SessionCatalog(TranscriptLocator locator, SessionStore store, ISidecarLog log, TimeProvider clock, ISessionRecords records, TranscriptMirror? mirror = null)
{
    public SessionCatalog(TranscriptLocator locator, SessionStore store, ISidecarLog log, TimeProvider clock)
        : this(locator, store, log, clock, store)
    {
    }

    internal TranscriptLocator Locator { get; } = locator;

    internal ISessionRecords Records { get; } = records;

    internal TranscriptMirror? Mirror { get; } = mirror;

    /// <summary>Signs and checks the listings' cursors with the secret of <see cref="Records"/>, the store every server on it shares.</summary>
    private readonly ListingCursor cursors = new(records);

    /// <summary>The user's resumable sessions, newest activity first.</summary>
    public IReadOnlyList<SessionView> ListResumable(ListResumableRequest request) => WithCosts(Resumable(request).Take(request.Limit).ToList());

    /// <summary>One page of <see cref="ListResumable"/>, after <see cref="ListResumableRequest.Cursor"/>.</summary>
    /// <exception cref="InvalidSessionRequestException">The cursor is not one a server on this store gave for this listing.</exception>
    public SessionPage ListResumablePage(ListResumableRequest request) => Page(ListingCursor.Listing.Resumable, request.Cursor, request.Limit, () => Resumable(request));

    /// <summary>One page of every session of the user, resumable or not, newest activity first.</summary>
    /// <exception cref="InvalidSessionRequestException">The cursor is not one a server on this store gave for this listing.</exception>
    public SessionPage List(ListSessionsRequest request) => Page(ListingCursor.Listing.All, request.Cursor, request.Limit, () =>
        AllSessions(request.UserId, request.WorkingDirectory, request.IncludeExternal, request.IncludeWorktrees)
            .Where(session => (request.IncludeArchived || !session.Archived) && (request.IncludeProgrammatic || !session.IsProgrammatic)));

    private IEnumerable<SessionView> Resumable(ListResumableRequest request) =>
        AllSessions(request.UserId, request.WorkingDirectory, request.IncludeExternal, request.IncludeWorktrees)
            .Where(session => session.Status.Resumable && (request.OnlyArchived ? session.Archived : request.IncludeArchived || !session.Archived));

    /// <summary>The sessions after the cursor (all of them without one), <paramref name="limit"/> of them, and the next page's cursor.</summary>
    /// <param name="sessions">The listing in the listings' order; asked for only once the cursor is known to be good.</param>
    internal SessionPage Page(ListingCursor.Listing listing, string? cursor, int limit, Func<IEnumerable<SessionView>> sessions)
    {
        (long Time, string SessionId)? after = cursor is null ? null : cursors.TryDecode(listing, cursor)
            ?? throw new InvalidSessionRequestException("cursor", "cursor is not one this server gave for this listing (use nextCursor from the previous page).");
        var page = sessions().Where(session => after is not { } key || ListingCursor.IsAfter(session, key)).Take(limit + 1).ToList();
        return page.Count > limit ? new SessionPage(WithCosts(page[..limit]), cursors.Encode(listing, page[limit - 1])) : new SessionPage(WithCosts(page), null);
    }

    /// <summary>The views with the costs the store keeps (one query for the page, not one per session).</summary>
    private List<SessionView> WithCosts(List<SessionView> views)
    {
        var costs = Records.Costs(views.Select(view => view.SessionId).ToList());
        return costs.Count == 0 ? views : views.Select(view => costs.TryGetValue(view.SessionId, out var cost) ? view with { CostUsd = cost } : view).ToList();
    }

    /// <summary>Every session visible to the user, resumable or not, in the listings' order (what a search looks through).</summary>
    internal IEnumerable<SessionView> Visible(string userId, string? workingDirectory, bool includeExternal, bool includeWorktrees) =>
        AllSessions(userId, workingDirectory, includeExternal, includeWorktrees);

    /// <summary>One session's view, or null when this user cannot see it.</summary>
    /// <param name="workingDirectory">Where to look first for a session the store does not know.</param>
    public SessionView? Info(string sessionId, string userId, string? workingDirectory)
    {
        var record = Records.Get(sessionId);
        SessionView? view;
        if (record is not null)
        {
            view = record.UserId == userId ? View(record) : null;
        }
        else
        {
            var transcript = Locator.Locate(sessionId, workingDirectory is null ? null : RealPath.Resolve(workingDirectory) ?? workingDirectory);
            view = transcript is null ? null : ExternalView(transcript, folder: null, listedPath: null, new ListingScope(Locator, checkouts: null));
        }

        return view is null ? null : WithCosts([view])[0];
    }

    /// <summary>The transcripts' summaries and verdicts, kept in the store: an unchanged transcript is never read twice.</summary>
    internal SummaryIndex Summaries { get; } = new(store, log, clock);

    /// <summary>
    /// Every session visible to the user, in the listings' order (<see cref="ListingCursor.Compare(DateTimeOffset, string, DateTimeOffset, string)"/>:
    /// newest activity first to the millisecond, ties by higher id first, as the SDK sorts).
    /// An external session's activity time is its transcript's modification time, known from one <c>stat</c>: so the
    /// sessions are sorted first and read (when the index has them not) only as the caller takes them, a few at a time
    /// and in parallel. A listing of the newest 50 reads about 50 transcripts the first time, and none after.
    /// </summary>
    /// <param name="includeWorktrees">With a <paramref name="workingDirectory"/>, also the sessions of every git worktree of its repository (the SDK's default).</param>
    private IEnumerable<SessionView> AllSessions(string userId, string? workingDirectory, bool includeExternal, bool includeWorktrees)
    {
        var started = Stopwatch.GetTimestamp();
        var realFilter = workingDirectory is null ? null : RequireDirectory(workingDirectory);
        var checkouts = realFilter is null ? null : Checkouts(realFilter, includeWorktrees);
        var mirrorState = Mirror?.ReadLocalState();
        var records = checkouts is null ? Records.List(userId, null) : checkouts.SelectMany(checkout => Records.List(userId, checkout)).DistinctBy(record => record.SessionId, StringComparer.Ordinal).ToList();
        var scope = new ListingScope(Locator, checkouts);

        // Without the external sessions only the folders where the CLI finds the store's own transcripts are scanned.
        var folders = !includeExternal
            ? records.Where(record => record.WorkingDirectory.Length > 0).Select(record => scope.ExactProjectDirectory(scope.RealPath(record.WorkingDirectory))).Distinct(StringComparer.Ordinal).Select(folder => (Folder: folder, ListedPath: (string?)null))
            : checkouts is null
                ? Locator.AllProjectDirectories().Select(folder => (Folder: folder, ListedPath: (string?)null))
                : checkouts.SelectMany(checkout => Locator.ProjectDirectoriesFor(checkout).Select(folder => (Folder: folder, ListedPath: (string?)checkout))).DistinctBy(pair => pair.Folder, StringComparer.Ordinal);
        var known = Records.AllSessionIds();
        var transcripts = new List<(ScannedTranscript Transcript, string Folder, string? ListedPath)>();
        var ownTranscripts = new Dictionary<string, ScannedTranscript>(StringComparer.Ordinal);
        foreach (var (folder, listedPath) in folders)
        {
            if (Directory.Exists(folder) && Locator.IsInsideProjects(folder))
            {
                // A link (no stamp) out of the projects folder is never followed: to the server it is no transcript, as for session/status.
                foreach (var transcript in Summaries.Scan(folder))
                {
                    if (known.Contains(transcript.SessionId))
                    {
                        ownTranscripts.TryAdd(transcript.Path, transcript);
                    }
                    else if (includeExternal && (transcript.Stamp is not null || Locator.IsInsideProjects(transcript.Path)))
                    {
                        transcripts.Add((transcript, folder, listedPath));
                    }
                }
            }
        }

        // Known now: the store's sessions, and the few transcripts whose time is not known before reading (links) or
        // that share their id with another (the first that lists, in folder order, wins). The rest wait in order.
        var scanning = Stopwatch.GetElapsedTime(started);
        var items = new List<ListingItem>(transcripts.Count + 16);
        foreach (var record in records)
        {
            if (OwnTranscript(record, ownTranscripts, scope) is { LastModified: { } written } transcript)
            {
                // Read as the caller takes it, like the CLI's own transcripts: its time is the later of the store's and the file's.
                items.Add(new ListingItem(written > record.LastActiveAt ? written : record.LastActiveAt, record.SessionId, null, transcript, null, null) { Record = record });
            }
            else
            {
                var view = View(record, mirrorState);
                items.Add(new ListingItem(view.LastActiveAt, view.SessionId, view, null, null, null));
            }
        }

        var seen = new HashSet<string>(transcripts.Count, StringComparer.Ordinal);
        var shared = transcripts.Where(pair => !seen.Add(pair.Transcript.SessionId)).Select(pair => pair.Transcript.SessionId).ToHashSet(StringComparer.Ordinal);
        foreach (var (transcript, folder, listedPath) in transcripts)
        {
            if (!shared.Contains(transcript.SessionId) && transcript.LastModified is { } time)
            {
                items.Add(new ListingItem(time, transcript.SessionId, null, transcript, folder, listedPath));
            }
        }

        foreach (var group in transcripts.Where(pair => shared.Contains(pair.Transcript.SessionId) || pair.Transcript.LastModified is null).GroupBy(pair => pair.Transcript.SessionId, StringComparer.Ordinal))
        {
            var view = group.Select(pair => ExternalView(pair.Transcript, pair.Folder, pair.ListedPath, scope)).FirstOrDefault(view => view is not null);
            if (view is not null)
            {
                items.Add(new ListingItem(view.LastActiveAt, view.SessionId, view, null, null, null));
            }
        }

        items.Sort(static (a, b) => ListingCursor.Compare(a.Time, a.SessionId, b.Time, b.SessionId));
        log.Debug($"Listing: {records.Count} sessions of the store ({ownTranscripts.Count} transcripts scanned) and {transcripts.Count} other transcripts scanned ({scanning.TotalMilliseconds:F1} ms) and sorted in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms");
        return InOrder(items, scope);
    }

    /// <summary>
    /// The scanned transcript a stored session is judged by, when the quick way gives the CLI's own answer: the session's
    /// folder exists and its transcript is a plain file in that folder's own project folder, where the CLI looks first.
    /// Null sends the session the long way (<see cref="View(SessionRecord, TranscriptMirror.LocalMirrorState?)"/>):
    /// a shared store's session, a folder gone, a transcript elsewhere or behind a link.
    /// </summary>
    private ScannedTranscript? OwnTranscript(SessionRecord record, Dictionary<string, ScannedTranscript> ownTranscripts, ListingScope scope) =>
        (Mirror is null || record.Shared is null) && !string.IsNullOrEmpty(record.WorkingDirectory) && scope.DirectoryExists(record.WorkingDirectory)
        && ownTranscripts.TryGetValue(Path.Combine(scope.ExactProjectDirectory(scope.RealPath(record.WorkingDirectory)), record.SessionId + TranscriptLocator.Extension), out var transcript)
        && transcript.Stamp is not null
            ? transcript
            : null;

    /// <summary>The folders a listing of one folder covers, by real path: the folder, then (with worktrees) the other worktrees of its repository.</summary>
    private static IReadOnlyList<string> Checkouts(string realDirectory, bool includeWorktrees)
    {
        var checkouts = new List<string> { realDirectory };
        if (includeWorktrees)
        {
            checkouts.AddRange(GitWorktrees.Of(realDirectory).Select(worktree => RealPath.Resolve(worktree) ?? worktree).Where(worktree => !checkouts.Contains(worktree, StringComparer.Ordinal)));
        }

        return checkouts;
    }

    /// <summary>Yields the sorted items, reading the transcripts not yet indexed a batch at a time (in parallel), and saves what it read.</summary>
    private IEnumerable<SessionView> InOrder(List<ListingItem> items, ListingScope scope)
    {
        const int Batch = 32;
        var toSave = new List<IndexedTranscript>();
        var readBefore = Summaries.TranscriptsRead;
        var started = Stopwatch.GetTimestamp();
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

                var view = item.Record is { } record ? (item.Unreadable ? View(record) : OwnView(record, item.Transcript!.Entry!))
                    : item.Unreadable ? ExternalView(item.Transcript!.Path, item.Folder, item.ListedPath, scope) : ExternalView(item.Transcript!.Entry!, item.Folder!, item.ListedPath, scope);
                if (view is not null)
                {
                    yield return view;
                }
            }
        }
        finally
        {
            var saving = Stopwatch.GetTimestamp();
            Summaries.Save(toSave);
            log.Debug($"Listing: {Summaries.TranscriptsRead - readBefore} transcripts read, {toSave.Count} remembered, in {Stopwatch.GetElapsedTime(started, saving).TotalMilliseconds:F1} ms (with the caller's work); saved in {Stopwatch.GetElapsedTime(saving).TotalMilliseconds:F1} ms");
        }
    }

    private SessionView? ExternalView(ScannedTranscript transcript, string folder, string? listedPath, ListingScope scope)
    {
        if (transcript.Entry is null && transcript.Stamp is not null)
        {
            var toSave = new List<IndexedTranscript>();
            transcript = transcript with { Entry = Summaries.Read([transcript], toSave)[0] };
            Summaries.Save(toSave);
        }

        return transcript.Entry is { } entry ? ExternalView(entry, folder, listedPath, scope) : ExternalView(transcript.Path, folder, listedPath, scope);
    }

    /// <summary>One row of a listing: resolved (<see cref="View"/>), or a transcript still to read, sorted by its stamp's time.</summary>
    /// <param name="ListedPath">The folder (or worktree) whose project folder <paramref name="Folder"/> is; null in a listing of every folder.</param>
    private sealed record ListingItem(DateTimeOffset Time, string SessionId, SessionView? View, ScannedTranscript? Transcript, string? Folder, string? ListedPath)
    {
        public bool Unreadable { get; init; }

        /// <summary>A stored session still to read: its transcript is <see cref="Transcript"/>, where the CLI finds it first.</summary>
        public SessionRecord? Record { get; init; }
    }

    /// <summary>
    /// <see cref="ExternalView(string, string?)"/> from an index entry: the same answer, with the file-system questions
    /// that many transcripts share (a working directory's real path, whether it exists, its project folder) asked once per listing.
    /// </summary>
    private SessionView? ExternalView(IndexedTranscript entry, string folder, string? listedPath, ListingScope scope)
    {
        var summary = entry.Summary;
        if (!IsInListing(summary, folder, listedPath, scope, out var workingDirectory))
        {
            return null;
        }

        SessionStatus status;
        if (string.IsNullOrEmpty(workingDirectory))
        {
            status = WithoutWorkingDirectory(entry.Path, entry.NotResumableReason, entry.Stamp.Size);
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

        return IsListed(summary, status) ? ExternalSessionView(summary, entry.Path, workingDirectory, status) : null;
    }

    /// <summary>
    /// A transcript is listed when the SDK's <c>listSessions</c> lists it (it has a summary and does not start as a
    /// sidechain), and also whenever the CLI would resume it, whatever the SDK says.
    /// </summary>
    private static bool IsListed(TranscriptSummary summary, SessionStatus status) =>
        status.Resumable || (!summary.StartsAsSidechain && summary.Summary is not null);

    /// <summary>
    /// Whether a listing of <paramref name="listedPath"/> (null: of every folder) shows a transcript found in its project
    /// folder, and the working directory it is shown with. A transcript that names no working directory is the listed
    /// folder's (as the SDK's <c>listSessions</c> takes its <c>dir</c>), as is one that names a folder gone or of another
    /// name: a project moved or renamed leaves those, and the CLI resumes them from here, where it finds them first.
    /// One that names another existing folder of the same project folder name (<c>/a.b</c> and <c>/a-b</c>) is that
    /// folder's, as the SDK decides.
    /// </summary>
    private static bool IsInListing(TranscriptSummary summary, string? folder, string? listedPath, ListingScope scope, out string? workingDirectory)
    {
        workingDirectory = string.IsNullOrEmpty(summary.WorkingDirectory) ? listedPath : summary.WorkingDirectory;
        if (listedPath is null || workingDirectory == listedPath || scope.IsCheckout(scope.RealPath(workingDirectory!)))
        {
            return true;
        }

        if (folder is null || folder != scope.ExactProjectDirectory(listedPath))
        {
            // A candidate by the 200-character prefix of a long name: only a transcript of the folder itself is its.
            return false;
        }

        var sameName = ProjectDirectoryName.Encode(scope.RealPath(workingDirectory!)) == ProjectDirectoryName.Encode(listedPath);
        if (sameName && scope.DirectoryExists(workingDirectory!))
        {
            return false;
        }

        workingDirectory = listedPath;
        return true;
    }

    /// <summary>The status of a transcript that names no working directory: what is wrong with the file itself comes first.</summary>
    private static SessionStatus WithoutWorkingDirectory(string filePath, NotResumableReason? verdict, long fileSize) =>
        SessionStatus.NotResumable(verdict ?? NotResumableReason.NoWorkingDirectory, filePath: filePath, fileSize: fileSize);

    /// <summary>Answers shared by many transcripts of one listing, asked of the file system once.</summary>
    /// <param name="checkouts">The folders listed, by real path (see <see cref="Checkouts"/>); null in a listing of every folder.</param>
    private sealed class ListingScope(TranscriptLocator locator, IReadOnlyList<string>? checkouts)
    {
        public bool IsCheckout(string realPath) => checkouts?.Contains(realPath, StringComparer.Ordinal) ?? false;

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

    /// <summary>A session the store does not know, as its transcript's summary shows it (callers decide with <see cref="IsListed"/>).</summary>
    private static SessionView ExternalSessionView(TranscriptSummary summary, string filePath, string? workingDirectory, SessionStatus status) => new(
        summary.SessionId,
        UserId: null,
        workingDirectory,
        summary.CreatedAt ?? summary.LastModified,
        summary.LastModified,
        Title: summary.DisplayTitle,
        summary.FirstPrompt,
        summary.CustomTitle,
        summary.Tag,
        summary.Archived ?? false,
        summary.GitBranch,
        summary.FileSize,
        filePath,
        SessionSource.External,
        status,
        summary.IsProgrammatic)
    {
        Usage = summary.Usage,
    };

    private SessionView View(SessionRecord record) => View(record, mirrorState: null);

    private SessionView View(SessionRecord record, TranscriptMirror.LocalMirrorState? mirrorState)
    {
        var (status, storeCopy) = StatusAndSource(record, mirrorState);
        if (storeCopy is not null)
        {
            // No current copy here: the view is the shared store's listing index, judged from its copy.
            return new SessionView(
                record.SessionId,
                record.UserId,
                record.WorkingDirectory,
                record.CreatedAt,
                LastActiveAt: storeCopy.Modified > record.LastActiveAt ? storeCopy.Modified.Value : record.LastActiveAt,
                Title: storeCopy.CustomTitle ?? record.Title,
                storeCopy.FirstPrompt ?? (record.FirstPrompt.Length > 0 ? record.FirstPrompt : null),
                storeCopy.CustomTitle,
                storeCopy.Tag,
                storeCopy.Archived ?? false,
                storeCopy.GitBranch,
                storeCopy.Bytes,
                status.FilePath,
                SessionSource.Sidecar,
                status,
                storeCopy.IsProgrammatic ?? true)
            {
                Usage = storeCopy.Usage,
            };
        }

        // A session whose folder is gone still has its transcript: the SDK lists its branch and size, and so do we.
        var path = status.FilePath ?? (status.Reason is NotResumableReason.WorkingDirectoryMissing ? Locator.Locate(record.SessionId, RealWorkingDirectoryOf(record)) : null);
        return View(record, status, path, path is not null ? TrySummarize(path) : null);
    }

    /// <summary>A stored session judged by the index entry of the transcript the CLI finds first (see <see cref="OwnTranscript"/>).</summary>
    private SessionView OwnView(SessionRecord record, IndexedTranscript entry) =>
        View(record, new SessionStatus(entry.NotResumableReason is null, entry.NotResumableReason, entry.Stamp.Size, entry.Path, record.WorkingDirectory), entry.Path, entry.Summary);

    private static SessionView View(SessionRecord record, SessionStatus status, string? path, TranscriptSummary? summary)
    {
        var lastWrite = summary?.LastModified;
        return new SessionView(
            record.SessionId,
            record.UserId,
            record.WorkingDirectory,
            record.CreatedAt,
            LastActiveAt: lastWrite > record.LastActiveAt ? lastWrite.Value : record.LastActiveAt,
            Title: summary?.CustomTitle ?? record.Title,
            summary?.FirstPrompt ?? (record.FirstPrompt.Length > 0 ? FirstPrompt.Shorten(record.FirstPrompt) : null),
            summary?.CustomTitle,
            summary?.Tag,
            summary?.Archived ?? false,
            summary?.GitBranch,
            summary?.FileSize,
            path,
            SessionSource.Sidecar,
            status,
            summary?.IsProgrammatic ?? true)
        {
            Usage = summary?.Usage,
        };
    }

    /// <summary>A transcript the store does not know, as the SDK would list it; null for what the SDK skips.</summary>
    /// <param name="folder">The project folder it was found in, in a listing; null for a session looked up by id.</param>
    private SessionView? ExternalView(string filePath, string? folder, string? listedPath, ListingScope scope)
    {
        var summary = TrySummarize(filePath);
        if (summary is null || !IsInListing(summary, folder, listedPath, scope, out var workingDirectory))
        {
            return null;
        }

        var status = string.IsNullOrEmpty(workingDirectory)
            ? WithoutWorkingDirectory(filePath, TranscriptJudge.Judge(filePath).Reason, summary.FileSize)
            : Judge(summary.SessionId, workingDirectory, RealPath.Resolve(workingDirectory) ?? workingDirectory);
        return IsListed(summary, status) ? ExternalSessionView(summary, filePath, workingDirectory, status) : null;
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

    /// <summary>Whether the CLI would resume the session, judged from the store, the path rule and the transcript.</summary>
    /// <param name="workingDirectory">Where to look for a session the store does not know.</param>
    public SessionStatus GetStatus(string sessionId, string userId, string? workingDirectory) => GetStatus(sessionId, userId, workingDirectory, out _);

    /// <param name="record">The user's record of the session, when the store has one (read once, for the caller too).</param>
    internal SessionStatus GetStatus(string sessionId, string userId, string? workingDirectory, out SessionRecord? record)
    {
        record = Records.Get(sessionId);
        if (record is not null && record.UserId != userId)
        {
            // Another user's session is not to be seen, not even as "exists".
            record = null;
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

    /// <summary>The verdict on the session's transcript on this machine alone, without asking the store.</summary>
    internal SessionStatus JudgeHere(string sessionId, string workingDirectory) => Judge(sessionId, workingDirectory, RealPath.Resolve(workingDirectory) ?? workingDirectory);

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

    /// <summary>The real path of a working directory a request names: absolute, existing, resolvable.</summary>
    internal static string RequireDirectory(string workingDirectory)
    {
        if (!Path.IsPathFullyQualified(workingDirectory))
        {
            throw new InvalidSessionRequestException("workingDirectory", $"workingDirectory must be an absolute path: {ClientText.Quote(workingDirectory)}");
        }

        if (!Directory.Exists(workingDirectory))
        {
            throw new InvalidSessionRequestException("workingDirectory", $"workingDirectory does not exist or is not a folder: {ClientText.Quote(workingDirectory)}");
        }

        return RealPath.Resolve(workingDirectory) ?? throw new InvalidSessionRequestException("workingDirectory", $"workingDirectory cannot be resolved: {ClientText.Quote(workingDirectory)}");
    }

    /// <summary>The status of a session the store knows: judged where it ran (by its real path now, else as recorded).</summary>
    internal SessionStatus StatusOf(SessionRecord record) => StatusAndSource(record, mirrorState: null).Status;

    /// <summary>
    /// The status of a stored session, and the shared store's copy when that is what was judged: with a shared store,
    /// a machine whose local transcript is missing or behind judges the store's copy (the verdict the store keeps,
    /// made by the same judge), after the checks only this machine can make (its working directory).
    /// </summary>
    private (SessionStatus Status, SharedTranscript? StoreCopy) StatusAndSource(SessionRecord record, TranscriptMirror.LocalMirrorState? mirrorState)
    {
        var realWorkingDirectory = RealWorkingDirectoryOf(record);
        if (Mirror is null || record.Shared is null)
        {
            return (Judge(record.SessionId, record.WorkingDirectory, realWorkingDirectory), null);
        }

        var path = Mirror.LocalTranscriptPath(record);
        if (Mirror.IsLocalCurrent(record, path, mirrorState))
        {
            return (Judge(record.SessionId, record.WorkingDirectory, realWorkingDirectory), null);
        }

        if (string.IsNullOrEmpty(record.WorkingDirectory))
        {
            return (SessionStatus.NotResumable(NotResumableReason.NoWorkingDirectory), null);
        }

        if (!Directory.Exists(record.WorkingDirectory))
        {
            return (SessionStatus.NotResumable(NotResumableReason.WorkingDirectoryMissing, record.WorkingDirectory), null);
        }

        var judged = Mirror.Judged(record);
        return (new SessionStatus(judged.Reason is null, judged.Reason, judged.Bytes, path, record.WorkingDirectory), judged);
    }

    internal static string RealWorkingDirectoryOf(SessionRecord record) => RealPath.Resolve(record.WorkingDirectory) ?? record.RealWorkingDirectory;

    /// <summary>The conversation in order (the <c>parentUuid</c> chain, as the CLI resumes it), a page of it.</summary>
    /// <exception cref="SessionNotFoundException">No such session for this user.</exception>
    public (IReadOnlyList<JObject> Messages, int Total) Messages(string sessionId, string userId, string? workingDirectory, int offset, int? limit, bool includeSystem)
    {
        var (_, path) = Find(sessionId, userId, workingDirectory);
        var shown = ConversationChain.Read(path).Where(entry => ConversationChain.IsShown(entry, includeSystem)).ToList();
        var page = shown.Skip(offset);
        return ((limit is { } count ? page.Take(count) : page).ToList(), shown.Count);
    }

    /// <summary>What ran inside the session's subagents: their user and assistant entries, by the Task tool use that launched each.</summary>
    /// <exception cref="SessionNotFoundException">No such session for this user.</exception>
    public IReadOnlyDictionary<string, IReadOnlyList<JObject>> Subagents(string sessionId, string userId, string? workingDirectory) =>
        SubagentTranscripts.Read(Find(sessionId, userId, workingDirectory).TranscriptPath);

    /// <summary>The number of messages <see cref="Messages"/> would give (user and assistant).</summary>
    public int MessageCount(string filePath) =>
        ConversationChain.Read(filePath).Count(entry => ConversationChain.IsShown(entry, includeSystem: false));

    /// <summary>The session's store record (when it has one) and transcript, for this user.</summary>
    /// <exception cref="SessionNotFoundException">This user has no such session (another user's counts as none).</exception>
    internal (SessionRecord? Record, string TranscriptPath) Find(string sessionId, string userId, string? workingDirectory, bool allowMissingTranscript = false)
    {
        var record = Records.Get(sessionId);
        if (record is not null && record.UserId != userId)
        {
            throw new SessionNotFoundException(sessionId);
        }

        var where = record is not null ? RealWorkingDirectoryOf(record)
            : workingDirectory is not null ? RealPath.Resolve(workingDirectory) ?? workingDirectory
            : null;
        if (Mirror is not null && record?.Shared is not null)
        {
            // A session from another machine, or one that moved on there: its transcript is brought here first.
            var local = Mirror.LocalTranscriptPath(record);
            if (Mirror.NeedsRefresh(record, local))
            {
                Mirror.Refresh(record, local);
            }
        }
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
