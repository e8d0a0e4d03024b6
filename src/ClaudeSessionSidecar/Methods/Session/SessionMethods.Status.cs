using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class StatusParams
{
    public string? SessionId { get; set; }

    /// <summary>Where to look for a session this server never made.</summary>
    public string? WorkingDirectory { get; set; }

    public string? UserId { get; set; }
}

public sealed partial class SessionMethods
{
    public const string Status = "session/status";

    /// <summary>Whether the CLI would resume the session, and if not, why.</summary>
    public SessionStatusDto GetStatus(StatusParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var workingDirectory = Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory");
        return SessionStatusDto.From(Sessions.Catalog.GetStatus(sessionId, UserIdOrDefault(p.UserId), workingDirectory));
    }
}
