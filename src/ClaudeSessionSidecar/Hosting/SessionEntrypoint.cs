using ClaudeSessionSidecar.Engine.Cli;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>Who the sessions of a connection are for: a person (listed by <c>claude --resume</c>), or a script.</summary>
public enum SessionKind
{
    /// <summary>A name of this project's: the CLI's picker lists the session.</summary>
    Interactive,

    /// <summary>The SDK's <c>sdk-cli</c>: hidden by the CLI's picker and by <c>includeProgrammatic: false</c>.</summary>
    Programmatic,
}

/// <summary>
/// The <c>entrypoint</c> the CLI writes into a session's transcript (stdio-protocol.md, "Entrypoints"). The names
/// are a fixed set: a client's own string never reaches the CLI, only which of these it maps to.
/// </summary>
public sealed record SessionEntrypoint(SessionKind Kind, string Name)
{
    public const string Interactive = "claude-session-sidecar";
    public const string VsCode = "claude-session-sidecar-vscode";
    public const string Neovim = "claude-session-sidecar-nvim";
    public const string Acp = "claude-session-sidecar-acp";
    public const string Programmatic = CliEntrypoint.Programmatic;

    /// <summary>The <c>clientInfo.name</c>s this repository's editors send, and the name each gets (case-insensitive).</summary>
    private static readonly Dictionary<string, string> KnownClients = new(StringComparer.OrdinalIgnoreCase)
    {
        ["vscode-claude-sessions"] = VsCode,
        ["claude_sessions.nvim"] = Neovim,
    };

    /// <summary>Every name this server may write, for the docs and the tests.</summary>
    public static IReadOnlyList<string> AllNames { get; } = [Interactive, VsCode, Neovim, Acp, Programmatic];

    public static readonly IReadOnlyList<string> KindNames = ["interactive", "programmatic"];

    /// <summary>The entrypoint of a kind for a client of the stdio face, named by its <c>clientInfo.name</c> (null or unknown: the generic name).</summary>
    public static SessionEntrypoint ForStdio(SessionKind kind, string? clientName) =>
        kind == SessionKind.Programmatic ? new(kind, Programmatic)
        : new(kind, clientName is not null && KnownClients.TryGetValue(clientName, out var name) ? name : Interactive);

    /// <summary>The entrypoint of a kind for the ACP face, whatever client it serves.</summary>
    public static SessionEntrypoint ForAcp(SessionKind kind) => new(kind, kind == SessionKind.Programmatic ? Programmatic : Acp);

    /// <summary>"interactive" or "programmatic"; null for anything else.</summary>
    public static SessionKind? ParseKind(string? text) => text switch
    {
        "interactive" => SessionKind.Interactive,
        "programmatic" => SessionKind.Programmatic,
        _ => null,
    };

    public string KindName => Kind == SessionKind.Interactive ? "interactive" : "programmatic";
}
