namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// The CLI's config folder, where transcripts live under <c>projects/</c>:
/// <c>--claude-config-dir</c>, else <c>CLAUDE_CONFIG_DIR</c>, else <c>CLAUDE_HOME</c> (the seed's variable), else <c>~/.claude</c>.
/// </summary>
public sealed record ClaudeConfigDirectory(string Path, bool IsCliDefault)
{
    public string ProjectsPath => System.IO.Path.Combine(Path, "projects");

    public static ClaudeConfigDirectory Resolve(string? explicitPath, Func<string, string?> getEnvironmentVariable)
    {
        var home = getEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var defaultPath = System.IO.Path.Combine(home, ".claude");
        foreach (var candidate in new[] { explicitPath, getEnvironmentVariable("CLAUDE_CONFIG_DIR"), getEnvironmentVariable("CLAUDE_HOME") })
        {
            if (!string.IsNullOrWhiteSpace(candidate))
            {
                var full = System.IO.Path.GetFullPath(ExpandHome(candidate, home));
                return new ClaudeConfigDirectory(full, IsCliDefault: full == defaultPath);
            }
        }

        return new ClaudeConfigDirectory(defaultPath, IsCliDefault: true);
    }

    private static string ExpandHome(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? System.IO.Path.Combine(home, path[2..]) : path;
}
