using ClaudeSessionSidecar.Engine.Resumability;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>A request names something that cannot be used (a missing folder, for instance). Nothing was run.</summary>
public sealed class InvalidSessionRequestException(string parameter, string message) : Exception(message)
{
    public string Parameter { get; } = parameter;
}

/// <summary>The CLI would not resume the session; it was not run.</summary>
public sealed class SessionNotResumableException(string sessionId, SessionStatus status)
    : Exception($"Session {sessionId} cannot be resumed: {status.Reason?.ToWireName()}.")
{
    public string SessionId { get; } = sessionId;

    public SessionStatus Status { get; } = status;
}

/// <summary>Another turn (in this process or another sharing the store) is running on the session.</summary>
public sealed class SessionBusyException(string sessionId)
    : Exception($"Session {sessionId} is busy with another turn; try again when it has finished.")
{
    public string SessionId { get; } = sessionId;
}

/// <summary>No session by that id that this user may see: not in the store for them, and no transcript.</summary>
public sealed class SessionNotFoundException(string sessionId)
    : Exception($"Session {sessionId} was not found.")
{
    public string SessionId { get; } = sessionId;
}
