using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class ListResumableParams
{
    public string? UserId { get; set; }

    public string? WorkingDirectory { get; set; }

    public int? Limit { get; set; }

    public bool? IncludeExternal { get; set; }

    public bool? IncludeArchived { get; set; }

    /// <summary>With <c>workingDirectory</c>, also the sessions of every git worktree of its repository. Default true, as in the SDK.</summary>
    public bool? IncludeWorktrees { get; set; }
}

public sealed class ListResumableResult
{
    public required IReadOnlyList<ResumableSessionDto> Sessions { get; init; }
}

public sealed class ResumableSessionDto
{
    public required string SessionId { get; init; }

    /// <summary>Absent for external sessions, which belong to no sidecar user.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? UserId { get; init; }

    public required string WorkingDirectory { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset LastActiveAt { get; init; }

    public required string Title { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? FirstPrompt { get; init; }

    public long FileSize { get; init; }

    public required string FilePath { get; init; }

    /// <summary><c>sidecar</c> or <c>external</c>.</summary>
    public required string Source { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public UsageDto? Usage { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public double? CostUsd { get; init; }

    public static ResumableSessionDto From(SessionView session) => new()
    {
        SessionId = session.SessionId,
        UserId = session.UserId,
        WorkingDirectory = session.WorkingDirectory!,
        CreatedAt = session.CreatedAt,
        LastActiveAt = session.LastActiveAt,
        Title = session.Title,
        FirstPrompt = session.FirstPrompt,
        FileSize = session.FileSize ?? 0,
        FilePath = session.FilePath!,
        Source = SessionViewDto.SourceName(session.Source),
        Usage = UsageDto.From(session.Usage),
        CostUsd = session.CostUsd,
    };
}

public sealed partial class SessionMethods
{
    public const string ListResumable = "session/listResumable";

    public const int DefaultListLimit = 10;
    public const int MaxListLimit = 1000;

    /// <summary>The resumable sessions, newest activity first; every entry is one the CLI would resume.</summary>
    public ListResumableResult ListResumableSessions(ListResumableParams p)
    {
        var request = new ListResumableRequest(
            UserId: UserIdOrDefault(p.UserId),
            WorkingDirectory: Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory"),
            Limit: Require.Range(p.Limit, "limit", DefaultListLimit, 1, MaxListLimit),
            IncludeExternal: p.IncludeExternal ?? false,
            IncludeArchived: p.IncludeArchived ?? false,
            IncludeWorktrees: p.IncludeWorktrees ?? true);
        return new ListResumableResult { Sessions = Sessions.Catalog.ListResumable(request).Select(ResumableSessionDto.From).ToList() };
    }
}
