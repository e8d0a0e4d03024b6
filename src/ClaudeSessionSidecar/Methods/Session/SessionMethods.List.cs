using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class ListParams
{
    public string? UserId { get; set; }

    public string? WorkingDirectory { get; set; }

    public bool? IncludeExternal { get; set; }

    public bool? IncludeArchived { get; set; }

    /// <summary>Sessions made with <c>-p</c> or an SDK (every session this server makes is one). Default true, as in the SDK.</summary>
    public bool? IncludeProgrammatic { get; set; }

    /// <summary>With <c>workingDirectory</c>, also the sessions of every git worktree of its repository. Default true, as in the SDK.</summary>
    public bool? IncludeWorktrees { get; set; }

    public int? Limit { get; set; }

    public string? Cursor { get; set; }
}

public sealed class ListResult
{
    public required IReadOnlyList<SessionViewDto> Sessions { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? NextCursor { get; init; }
}

public sealed partial class SessionMethods
{
    public const string List = "session/list";

    public const int DefaultPageSize = 50;

    /// <summary>Large enough for a whole project in one answer (listResumable keeps its 1,000 of the first protocol).</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>Every session (resumable or not, each with its status), newest activity first, a page at a time.</summary>
    public ListResult ListSessions(ListParams p)
    {
        var request = new ListSessionsRequest(
            UserId: UserIdOrDefault(p.UserId),
            WorkingDirectory: Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory"),
            Limit: Require.Range(p.Limit, "limit", DefaultPageSize, 1, MaxPageSize),
            IncludeExternal: p.IncludeExternal ?? false,
            IncludeArchived: p.IncludeArchived ?? false,
            IncludeProgrammatic: p.IncludeProgrammatic ?? true,
            Cursor: p.Cursor is null ? null : Require.Text(p.Cursor, "cursor"),
            IncludeWorktrees: p.IncludeWorktrees ?? true);
        var page = Sessions.Catalog.List(request);
        return new ListResult { Sessions = page.Sessions.Select(SessionViewDto.From).ToList(), NextCursor = page.NextCursor };
    }
}
