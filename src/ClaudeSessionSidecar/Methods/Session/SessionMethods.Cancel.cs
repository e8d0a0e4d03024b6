using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class CancelParams
{
    public string? SessionId { get; set; }

    public string? UserId { get; set; }
}

public sealed class CancelResult
{
    /// <summary>False when no turn of the session was running in this server.</summary>
    public bool Cancelled { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Cancel = "session/cancel";

    /// <summary>
    /// Stops the session's running turn with the CLI's interrupt request; the create/resume request then answers
    /// its result with <c>cancelled: true</c>, and the session stays resumable. <c>$/cancelRequest</c> does the same.
    /// </summary>
    public CancelResult CancelTurn(CancelParams p) =>
        new() { Cancelled = Sessions.Turns.Cancel(Require.SessionId(p.SessionId), UserIdOrDefault(p.UserId)) };
}
