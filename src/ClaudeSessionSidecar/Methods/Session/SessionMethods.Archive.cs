using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class ArchiveParams
{
    public string? SessionId { get; set; }

    public string? UserId { get; set; }
}

public sealed class ArchiveResult
{
    public required string SessionId { get; init; }

    public bool Archived { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Archive = "session/archive";
    public const string Unarchive = "session/unarchive";

    /// <summary>Hides the session from <c>session/list</c> (unless includeArchived), as the SDK archives: <c>archived.json</c> beside the transcript.</summary>
    public ArchiveResult ArchiveSession(ArchiveParams p) => SetArchived(p, archived: true);

    public ArchiveResult UnarchiveSession(ArchiveParams p) => SetArchived(p, archived: false);

    private ArchiveResult SetArchived(ArchiveParams p, bool archived)
    {
        var sessionId = Require.SessionId(p.SessionId);
        Sessions.Edits.SetArchived(sessionId, UserIdOrDefault(p.UserId), archived);
        return new ArchiveResult { SessionId = sessionId, Archived = archived };
    }
}
