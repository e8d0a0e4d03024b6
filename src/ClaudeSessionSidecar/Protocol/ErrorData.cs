using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>The <c>data</c> of every error this server raises: a stable <c>reason</c> and what explains it.</summary>
public class ErrorData
{
    public required string Reason { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? Parameter { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? SessionId { get; init; }
}

/// <summary><c>data</c> of -31001: the session's status.</summary>
public sealed class NotResumableErrorData : ErrorData
{
    public required SessionStatusDto Status { get; init; }
}

/// <summary><c>data</c> of -31002: what the CLI said.</summary>
public sealed class CliFailedErrorData : ErrorData
{
    /// <summary>Null while the CLI still runs (a turn stopped at the timeout whose process was kept): sent as null, not left out.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Include)]
    public int? ExitCode { get; init; }

    public required string Stderr { get; init; }

    public required IReadOnlyList<string> Errors { get; init; }
}
