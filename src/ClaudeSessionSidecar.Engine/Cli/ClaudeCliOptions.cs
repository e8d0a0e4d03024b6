namespace ClaudeSessionSidecar.Engine.Cli;

public sealed class ClaudeCliOptions
{
    /// <summary>Full path of the <c>claude</c> executable; null when none was found (every turn then fails with "not found").</summary>
    public string? ExecutablePath { get; init; }

    /// <summary>
    /// The config folder to hand the CLI as <c>CLAUDE_CONFIG_DIR</c>, so that it writes where the engine reads.
    /// Null leaves the CLI's environment as it is (its own default, <c>~/.claude</c>).
    /// </summary>
    public string? ConfigDirectoryOverride { get; init; }

    /// <summary>Variables to set (or, with a null value, remove) in the CLI's environment, on top of this process's own.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Run with <c>--session-mirror</c>: every transcript write is echoed on stdout, for a shared store.</summary>
    public bool SessionMirror { get; init; }

    /// <summary>The longest a turn may run before it is stopped.</summary>
    public TimeSpan TurnTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long each polite step of stopping (interrupt, closing stdin, SIGINT, SIGTERM) gets before the next.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a CLI that is still starting gets to take an interrupt request before the stop moves on to closing
    /// stdin and signals. The interrupt's own grace period counts from the moment it is taken.
    /// </summary>
    public TimeSpan StartupAllowance { get; init; } = TimeSpan.FromSeconds(30);
}
