namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>How a CLI process is started: the folder, the session it works on, and the options it starts with.</summary>
/// <param name="ResumeSessionId">An existing session to continue (<c>--resume</c>).</param>
/// <param name="NewSessionId">The id a new session gets (<c>--session-id</c>), chosen before the CLI starts.</param>
/// <param name="McpConfig">MCP servers for this process only (<c>--mcp-config</c>, its JSON: <c>{"mcpServers": {...}}</c>).</param>
/// <param name="Entrypoint">The transcript's <c>entrypoint</c> (<c>CLAUDE_CODE_ENTRYPOINT</c>, see <see cref="CliEntrypoint"/>); null for <see cref="CliEntrypoint.Programmatic"/>.</param>
public sealed record CliLaunch(
    string WorkingDirectory,
    string? ResumeSessionId = null,
    string? NewSessionId = null,
    string? Model = null,
    string? PermissionMode = null,
    bool IncludePartialMessages = false,
    bool ForkSession = false,
    string? McpConfig = null,
    string? Entrypoint = null);

/// <summary>One turn of the CLI: a prompt, in a working directory, on a new or a resumed session.</summary>
public sealed record CliTurnRequest(
    string WorkingDirectory,
    string Prompt,
    string? ResumeSessionId = null,
    string? Model = null,
    string? PermissionMode = null,
    bool IncludePartialMessages = false,
    bool ForkSession = false,
    string? NewSessionId = null,
    string? Entrypoint = null)
{
    public CliLaunch Launch => new(WorkingDirectory, ResumeSessionId, NewSessionId, Model, PermissionMode, IncludePartialMessages, ForkSession, Entrypoint: Entrypoint);
}
