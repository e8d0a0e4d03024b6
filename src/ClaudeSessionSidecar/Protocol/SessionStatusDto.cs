using ClaudeSessionSidecar.Engine.Resumability;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>The wire form of a session's status: <c>{resumable, reason?, fileSize?, filePath?, workingDirectory?}</c>.</summary>
public sealed class SessionStatusDto
{
    public bool Resumable { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? Reason { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public long? FileSize { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? FilePath { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? WorkingDirectory { get; init; }

    public static SessionStatusDto From(SessionStatus status) => new()
    {
        Resumable = status.Resumable,
        Reason = status.Reason?.ToWireName(),
        FileSize = status.FileSize,
        FilePath = status.FilePath,
        WorkingDirectory = status.WorkingDirectory,
    };
}
