namespace ClaudeSessionSidecar.Engine.Resumability;

/// <summary>Whether the CLI would resume a session, and if not, why.</summary>
public sealed record SessionStatus(
    bool Resumable,
    NotResumableReason? Reason,
    long? FileSize,
    string? FilePath,
    string? WorkingDirectory)
{
    public static SessionStatus NotResumable(NotResumableReason reason, string? workingDirectory = null, string? filePath = null, long? fileSize = null) =>
        new(false, reason, fileSize, filePath, workingDirectory);
}
