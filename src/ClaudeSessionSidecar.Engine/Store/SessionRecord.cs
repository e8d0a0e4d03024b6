using ClaudeSessionSidecar.Engine.Resumability;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>What the sidecar remembers of a session it started. The transcript itself stays the CLI's.</summary>
/// <param name="FirstPrompt">The first prompt as listings show it (FirstPrompt.Shorten): the whole of it is in the transcript.</param>
public sealed record SessionRecord(
    string SessionId,
    string UserId,
    string WorkingDirectory,
    string RealWorkingDirectory,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt,
    string Title,
    string FirstPrompt)
{
    /// <summary>The shared store's copy of the transcript, as last judged; null with the embedded store.</summary>
    public SharedTranscript? Shared { get; init; }
}

/// <summary>
/// A PostgreSQL store's listing index for one session: its transcript as the store holds it, judged by the same
/// CLI-faithful verdict as a local file, so that machines without a local copy list and judge it alike.
/// </summary>
/// <param name="Version">Bumped by every change to the session's entries.</param>
/// <param name="JudgedVersion">The <paramref name="Version"/> the other fields describe; null when never judged.</param>
/// <param name="Reason">Why the CLI would not resume it; null when it would.</param>
public sealed record SharedTranscript(
    string ProjectKey,
    long Version,
    long? JudgedVersion,
    NotResumableReason? Reason,
    long? Bytes,
    DateTimeOffset? Modified,
    string? CustomTitle,
    string? Tag,
    bool? Archived,
    string? GitBranch,
    string? FirstPrompt,
    bool? IsProgrammatic)
{
    /// <summary>What the session used, summed from the store's copy (null when it was judged before usage was kept).</summary>
    public Transcripts.TokenUsage? Usage { get; init; }

    public bool IsJudged => JudgedVersion == Version;
}
