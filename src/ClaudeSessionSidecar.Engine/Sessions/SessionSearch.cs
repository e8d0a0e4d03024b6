using ClaudeSessionSidecar.Engine.Store;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// Finds sessions by what was said in them: the sessions a listing with the same scope would show (the user's, the
/// CLI's own with <c>includeExternal</c>, each with its status), narrowed to those whose conversation holds every
/// term. The index is brought up to date first, reading only the transcripts that changed, so a search always sees
/// the turn that just ended and the transcript the bare CLI just wrote.
/// </summary>
public sealed class SessionSearch(SessionCatalog catalog, Lazy<SearchIndex> searchIndex)
{
    /// <summary>The messages shown per hit, in conversation order.</summary>
    public const int MatchesPerSession = 5;

    /// <exception cref="InvalidSessionRequestException">The query has nothing to look for, or the cursor is not one this server gave.</exception>
    public SearchPage Search(SearchSessionsRequest request)
    {
        var query = SearchQuery.Parse(request.Query);
        var index = searchIndex.Value;
        if (query.Terms.Count == 0)
        {
            throw new InvalidSessionRequestException("query", "query must contain a word or a phrase.");
        }

        var page = catalog.Page(ListingCursor.Listing.Search, request.Cursor, request.Limit, () =>
        {
            var sessions = catalog.Visible(request.UserId, request.WorkingDirectory, request.IncludeExternal, request.IncludeWorktrees)
                .Where(session => (request.IncludeArchived || !session.Archived) && session.FilePath is { Length: > 0 })
                .ToList();
            index.Update(sessions.Select(session => (session.SessionId, session.FilePath!)).ToList());
            var found = index.Find(query, sessions.Select(session => session.FilePath!).ToHashSet(StringComparer.Ordinal));
            return sessions.Where(session => found.Contains(session.FilePath!));
        });
        var matches = index.Matches(query, page.Sessions.Select(session => session.FilePath!).ToHashSet(StringComparer.Ordinal), MatchesPerSession);
        var hits = page.Sessions.Select(session => new SearchHit(session, matches[session.FilePath!])).ToList();
        return new SearchPage(hits, page.NextCursor);
    }
}
