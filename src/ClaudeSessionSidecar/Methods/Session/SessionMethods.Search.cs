using ClaudeSessionSidecar.Engine.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class SearchParams
{
    public string? Query { get; set; }

    public string? WorkingDirectory { get; set; }

    public string? UserId { get; set; }

    public bool? IncludeExternal { get; set; }

    public bool? IncludeArchived { get; set; }

    /// <summary>With <c>workingDirectory</c>, also the sessions of every git worktree of its repository. Default true, as in the SDK.</summary>
    public bool? IncludeWorktrees { get; set; }

    public int? Limit { get; set; }

    public string? Cursor { get; set; }
}

public sealed class SearchResult
{
    public required IReadOnlyList<SearchHitDto> Sessions { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? NextCursor { get; init; }
}

/// <summary>A session of the search's answer: its view, as listings show it, and the messages that hold the terms.</summary>
public sealed record SearchHitDto : SessionViewDto
{
    [SetsRequiredMembers]
    public SearchHitDto(SessionViewDto view, IReadOnlyList<SearchMatchDto> matches)
        : base(view)
    {
        Matches = matches;
    }

    /// <summary>After the view's own fields (unordered members count as -1).</summary>
    [JsonProperty(Order = 1)]
    public IReadOnlyList<SearchMatchDto> Matches { get; init; }
}

public sealed class SearchMatchDto
{
    public required string Uuid { get; init; }

    /// <summary><c>user</c> or <c>assistant</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The message's own timestamp, verbatim; null when it has none.</summary>
    public string? Timestamp { get; init; }

    public required string Snippet { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Search = "session/search";

    public const int MaxQueryLength = 1000;

    public const int DefaultSearchPageSize = 20;

    public const int MaxSearchPageSize = 1000;

    /// <summary>The sessions whose conversation holds every word and phrase of the query, newest activity first, each with its status and matches.</summary>
    public SearchResult SearchSessions(SearchParams p)
    {
        var query = Require.Text(p.Query, "query");
        if (ClientText.CodePoints(query) > MaxQueryLength)
        {
            throw RpcErrors.InvalidParams("query", $"query must be at most {MaxQueryLength} characters.");
        }

        var request = new SearchSessionsRequest(
            Query: query,
            UserId: UserIdOrDefault(p.UserId),
            WorkingDirectory: Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory"),
            Limit: Require.Range(p.Limit, "limit", DefaultSearchPageSize, 1, MaxSearchPageSize),
            IncludeExternal: p.IncludeExternal ?? false,
            IncludeArchived: p.IncludeArchived ?? false,
            Cursor: p.Cursor is null ? null : Require.Text(p.Cursor, "cursor"),
            IncludeWorktrees: p.IncludeWorktrees ?? true);
        var page = Sessions.Search.Search(request);
        return new SearchResult
        {
            Sessions = page.Sessions
                .Select(hit => new SearchHitDto(
                    SessionViewDto.From(hit.Session),
                    hit.Matches.Select(match => new SearchMatchDto { Uuid = match.Uuid, Type = match.Type, Timestamp = match.Timestamp, Snippet = match.Snippet }).ToList()))
                .ToList(),
            NextCursor = page.NextCursor,
        };
    }
}
