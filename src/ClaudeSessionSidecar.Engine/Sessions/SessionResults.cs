using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>A finished turn: where the session stands now and what the CLI's result said.</summary>
public sealed record TurnResult(string SessionId, SessionStatus Status, CliTurnOutcome Outcome, SessionRecord? Record);

/// <summary>Where a listed session came from.</summary>
public enum SessionSource
{
    /// <summary>Started through this server; its metadata is in the store.</summary>
    Sidecar,

    /// <summary>Made by the CLI without this server; found in the CLI's projects folder.</summary>
    External,
}

/// <summary>One entry of a resumable-sessions listing.</summary>
public sealed record ResumableSession(
    string SessionId,
    string? UserId,
    string WorkingDirectory,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt,
    string Title,
    string FirstPrompt,
    long FileSize,
    string FilePath,
    SessionSource Source);
