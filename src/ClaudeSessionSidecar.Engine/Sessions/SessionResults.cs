using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>A finished turn: where the session stands now and what the CLI's result said.</summary>
public sealed record TurnResult(string SessionId, SessionStatus Status, CliTurnOutcome Outcome, SessionRecord? Record)
{
    /// <summary>With a shared store: whether the turn's transcript reached it (false: it will when the database is back). Null otherwise.</summary>
    public bool? Mirrored { get; init; }
}

/// <summary>Where a listed session came from.</summary>
public enum SessionSource
{
    /// <summary>Started through this server; its metadata is in the store.</summary>
    Sidecar,

    /// <summary>Made by the CLI without this server; found in the CLI's projects folder.</summary>
    External,
}

/// <summary>A session as listings and <c>session/info</c> show it: the store's metadata joined with its transcript's summary.</summary>
public sealed record SessionView(
    string SessionId,
    string? UserId,
    string? WorkingDirectory,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt,
    string Title,
    string? FirstPrompt,
    string? CustomTitle,
    string? Tag,
    bool Archived,
    string? GitBranch,
    long? FileSize,
    string? FilePath,
    SessionSource Source,
    SessionStatus Status,
    bool IsProgrammatic)
{
    /// <summary>What the session used, summed from its transcript (and its subagents'); null when no transcript could be read.</summary>
    public Transcripts.TokenUsage? Usage { get; init; }

    /// <summary>The CLI's own cost of the session as of the last turn this server ran of it; null when none ran here.</summary>
    public double? CostUsd { get; init; }
}

/// <summary>One page of a listing; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record SessionPage(IReadOnlyList<SessionView> Sessions, string? NextCursor);

/// <summary>A session that holds every term of a search, with the messages that hold them.</summary>
public sealed record SearchHit(SessionView Session, IReadOnlyList<SearchMatch> Matches);

/// <summary>One page of a search's hits, in the listings' order; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record SearchPage(IReadOnlyList<SearchHit> Sessions, string? NextCursor);
