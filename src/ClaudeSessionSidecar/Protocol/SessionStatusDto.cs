using ClaudeSessionSidecar.Engine.Diagnostics;
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

    /// <summary>
    /// The status as an error's <c>data</c> shows it: its working directory may be the one the request named (ACP's
    /// <c>cwd</c>), so it is cut as error messages cut a client's value (<see cref="ClientText.Cut"/>).
    /// </summary>
    public static SessionStatusDto ForError(SessionStatus status)
    {
        var dto = From(status);
        return dto.WorkingDirectory is { } directory ? new SessionStatusDto
        {
            Resumable = dto.Resumable,
            Reason = dto.Reason,
            FileSize = dto.FileSize,
            FilePath = dto.FilePath,
            WorkingDirectory = ClientText.Cut(directory),
        } : dto;
    }
}
