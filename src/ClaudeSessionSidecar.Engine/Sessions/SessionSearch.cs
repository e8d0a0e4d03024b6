using ClaudeSessionSidecar.Engine.Store;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// Finds sessions by what was said in them: the sessions a listing with the same scope would show (the user's, the
/// CLI's own with <c>includeExternal</c>, each with its status), narrowed to those whose conversation holds every
/// term. Each session is searched in the copy its view describes: a local transcript in this machine's index
/// (<see cref="SearchIndex"/>, brought up to date first, reading only the transcripts that changed, so a search always
/// sees the turn that just ended and the transcript the bare CLI just wrote); with a PostgreSQL store, a session with
/// no current copy here (made or continued on another machine) in the store's index of its copy
/// (<see cref="PostgresSearchIndex"/>, brought up to date from the store's lines first).
/// </summary>
public sealed class SessionSearch(SessionCatalog catalog, Lazy<SearchIndex> searchIndex)
{
    /// <summary>The messages shown per hit, in conversation order.</summary>
    public const int MatchesPerSession = 5;

    /// <exception cref="InvalidSessionRequestException">The query has nothing to look for, or the cursor is not one this server gave.</exception>
    /// <exception cref="StoreUnavailableException">The PostgreSQL store cannot be reached (as for a listing).</exception>
    public SearchPage Search(SearchSessionsRequest request)
    {
        var query = SearchQuery.Parse(request.Query);
        var index = searchIndex.Value;
        if (query.Terms.Count == 0)
        {
            throw new InvalidSessionRequestException("query", "query must contain a word or a phrase.");
        }

        IReadOnlySet<string> fromStore = new HashSet<string>(StringComparer.Ordinal);
        var page = catalog.Page(ListingCursor.Listing.Search, request.Cursor, request.Limit, () =>
        {
            var sessions = catalog.Visible(request.UserId, request.WorkingDirectory, request.IncludeExternal, request.IncludeWorktrees)
                .Where(session => request.IncludeArchived || !session.Archived)
                .ToList();
            fromStore = StoreCopies(request.UserId, sessions);
            var local = sessions.Where(session => !fromStore.Contains(session.SessionId) && session.FilePath is { Length: > 0 }).ToList();
            index.Update(local.Select(session => (session.SessionId, session.FilePath!)).ToList());
            var foundHere = index.Find(query, local.Select(session => session.FilePath!).ToHashSet(StringComparer.Ordinal));
            var foundInStore = fromStore.Count == 0 ? fromStore : FindInStore(query, fromStore);
            return sessions.Where(session => fromStore.Contains(session.SessionId) ? foundInStore.Contains(session.SessionId) : session.FilePath is { Length: > 0 } && foundHere.Contains(session.FilePath));
        });
        var here = page.Sessions.Where(session => !fromStore.Contains(session.SessionId)).ToList();
        var matchesHere = index.Matches(query, here.Select(session => session.FilePath!).ToHashSet(StringComparer.Ordinal), MatchesPerSession);
        var inStore = page.Sessions.Where(session => fromStore.Contains(session.SessionId)).Select(session => session.SessionId).ToList();
        var matchesInStore = inStore.Count == 0 ? new Dictionary<string, IReadOnlyList<SearchMatch>>() : catalog.Mirror!.SearchIndex.Matches(query, inStore, MatchesPerSession);
        var hits = page.Sessions.Select(session => new SearchHit(session, fromStore.Contains(session.SessionId) ? matchesInStore[session.SessionId] : matchesHere[session.FilePath!])).ToList();
        return new SearchPage(hits, page.NextCursor);
    }

    /// <summary>
    /// The listed sessions whose view is the PostgreSQL store's copy: those it has a copy of that is not current here
    /// (by the same bookkeeping the listing judged them with), so made or continued on another machine. A local copy
    /// that is current (or ahead: a turn the database missed, the bare CLI's) is searched here.
    /// </summary>
    private HashSet<string> StoreCopies(string userId, IReadOnlyList<SessionView> sessions)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (catalog.Mirror is not { } mirror || !sessions.Any(session => session.Source == SessionSource.Sidecar))
        {
            return found;
        }

        var state = mirror.ReadLocalState();
        var records = catalog.Records.List(userId, null).ToDictionary(record => record.SessionId, StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            if (session.Source == SessionSource.Sidecar && records.TryGetValue(session.SessionId, out var record) && record.Shared is not null
                && !mirror.IsLocalCurrent(record, mirror.LocalTranscriptPath(record), state))
            {
                found.Add(session.SessionId);
            }
        }

        return found;
    }

    private IReadOnlySet<string> FindInStore(SearchQuery query, IReadOnlySet<string> sessionIds)
    {
        var storeIndex = catalog.Mirror!.SearchIndex;
        storeIndex.Update(sessionIds.ToList());
        return storeIndex.Find(query, sessionIds.ToList());
    }
}
