namespace ClaudeSessionSidecar.Engine.Resumability;

/// <summary>Why the CLI would not resume a session. The wire names (<see cref="NotResumableReasonNames"/>) are stable.</summary>
public enum NotResumableReason
{
    /// <summary>Neither the store nor the CLI's folders know the session (or it belongs to another user).</summary>
    MetadataNotFound,

    /// <summary>The session is known, but not where it ran.</summary>
    NoWorkingDirectory,

    /// <summary>The folder the session ran in no longer exists.</summary>
    WorkingDirectoryMissing,

    /// <summary>No transcript file: never written (the CLI was killed early) or deleted (e.g. by <c>cleanupPeriodDays</c>).</summary>
    SessionFileMissing,

    /// <summary>The transcript is empty or blank.</summary>
    SessionFileTooSmall,

    /// <summary>The transcript has content, but nothing the CLI would resume.</summary>
    SessionFileNoConversation,

    /// <summary>The transcript exists but cannot be read (not a regular file, no permission, I/O error).</summary>
    SessionFileUnreadable,
}

public static class NotResumableReasonNames
{
    public static string ToWireName(this NotResumableReason reason) => reason switch
    {
        NotResumableReason.MetadataNotFound => "metadata_not_found",
        NotResumableReason.NoWorkingDirectory => "no_working_directory",
        NotResumableReason.WorkingDirectoryMissing => "working_directory_missing",
        NotResumableReason.SessionFileMissing => "session_file_missing",
        NotResumableReason.SessionFileTooSmall => "session_file_too_small",
        NotResumableReason.SessionFileNoConversation => "session_file_no_conversation",
        NotResumableReason.SessionFileUnreadable => "session_file_unreadable",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
