namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>What the sidecar remembers of a session it started. The transcript itself stays the CLI's.</summary>
public sealed record SessionRecord(
    string SessionId,
    string UserId,
    string WorkingDirectory,
    string RealWorkingDirectory,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt,
    string Title,
    string FirstPrompt);
