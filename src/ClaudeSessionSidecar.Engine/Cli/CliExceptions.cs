namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>The CLI executable could not be found or started.</summary>
public sealed class CliNotFoundException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Why a turn failed without a usable result.</summary>
public enum CliFailureKind
{
    /// <summary>The process ended before sending a <c>result</c> message.</summary>
    ExitedWithoutResult,

    /// <summary>The CLI reported an error before announcing a session (e.g. "No conversation found").</summary>
    ErrorBeforeInit,

    /// <summary>The turn ran past the turn timeout and was stopped.</summary>
    TimedOut,

    /// <summary>The CLI said it could not write the transcript (<c>session_writes_lost</c>: disk full or over quota).</summary>
    WritesLost,
}

/// <summary>The CLI ran but the turn failed: carries what the CLI said about it.</summary>
public sealed class CliFailedException(
    CliFailureKind kind,
    string message,
    int? exitCode,
    string stderrTail,
    IReadOnlyList<string> errors,
    string? sessionId) : Exception(message)
{
    public CliFailureKind Kind { get; } = kind;

    public int? ExitCode { get; } = exitCode;

    /// <summary>The last few kilobytes the CLI wrote on stderr.</summary>
    public string StderrTail { get; } = stderrTail;

    /// <summary>The <c>errors</c> of the CLI's result message, plus lines it printed that were not JSON.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;

    /// <summary>The session id, when the CLI announced one before failing.</summary>
    public string? SessionId { get; } = sessionId;
}
