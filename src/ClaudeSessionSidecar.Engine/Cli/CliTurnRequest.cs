namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>One turn of the CLI: a prompt, in a working directory, on a new or a resumed session.</summary>
public sealed record CliTurnRequest(
    string WorkingDirectory,
    string Prompt,
    string? ResumeSessionId = null,
    string? Model = null,
    string? PermissionMode = null,
    bool IncludePartialMessages = false,
    bool ForkSession = false);
