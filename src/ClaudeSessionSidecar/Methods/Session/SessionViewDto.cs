using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Methods.Session;

/// <summary>A session in <c>session/list</c> and <c>session/info</c>.</summary>
public record SessionViewDto
{
    public required string SessionId { get; init; }

    /// <summary>Absent for external sessions, which belong to no sidecar user.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? UserId { get; init; }

    /// <summary>Absent when the transcript names none (and the store does not know the session).</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? WorkingDirectory { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset LastActiveAt { get; init; }

    /// <summary>The custom title, else the store's title (sidecar), else (external) the CLI's summary, the first prompt, the first answer or the id.</summary>
    public required string Title { get; init; }

    /// <summary>Absent when the SDK finds none (no prompt with text in the transcript's first 64 KiB).</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? FirstPrompt { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? CustomTitle { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? Tag { get; init; }

    public bool Archived { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? GitBranch { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public long? FileSize { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? FilePath { get; init; }

    /// <summary><c>sidecar</c> or <c>external</c>.</summary>
    public required string Source { get; init; }

    public required SessionStatusDto Status { get; init; }

    /// <summary>Absent only when no transcript could be read.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public UsageDto? Usage { get; init; }

    /// <summary>Absent when no turn of the session ran through this server.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public double? CostUsd { get; init; }

    public static string SourceName(SessionSource source) => source == SessionSource.Sidecar ? "sidecar" : "external";

    public static SessionViewDto From(SessionView session) => new()
    {
        SessionId = session.SessionId,
        UserId = session.UserId,
        WorkingDirectory = session.WorkingDirectory,
        CreatedAt = session.CreatedAt,
        LastActiveAt = session.LastActiveAt,
        Title = session.Title,
        FirstPrompt = session.FirstPrompt,
        CustomTitle = session.CustomTitle,
        Tag = session.Tag,
        Archived = session.Archived,
        GitBranch = session.GitBranch,
        FileSize = session.FileSize,
        FilePath = session.FilePath,
        Source = SourceName(session.Source),
        Status = SessionStatusDto.From(session.Status),
        Usage = UsageDto.From(session.Usage),
        CostUsd = session.CostUsd,
    };
}

/// <summary>A session's tokens, summed from its transcript as ccusage sums them (each API message once).</summary>
public sealed class UsageDto
{
    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CacheCreationInputTokens { get; init; }

    public long CacheReadInputTokens { get; init; }

    public static UsageDto? From(Engine.Transcripts.TokenUsage? usage) => usage is { } tokens
        ? new UsageDto
        {
            InputTokens = tokens.InputTokens,
            OutputTokens = tokens.OutputTokens,
            CacheCreationInputTokens = tokens.CacheCreationInputTokens,
            CacheReadInputTokens = tokens.CacheReadInputTokens,
        }
        : null;
}
