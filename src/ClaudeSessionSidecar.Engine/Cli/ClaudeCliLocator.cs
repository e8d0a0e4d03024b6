namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>
/// Finds the <c>claude</c> executable: an explicit path, else <c>CLAUDE_SIDECAR_CLAUDE_PATH</c>,
/// else PATH, else the places the official installers use.
/// </summary>
public static class ClaudeCliLocator
{
    public const string PathVariable = "CLAUDE_SIDECAR_CLAUDE_PATH";

    /// <returns>The full path of an existing file, or null when nothing was found.</returns>
    public static string? Locate(string? explicitPath, Func<string, string?> getEnvironmentVariable)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            // An explicit choice is never second-guessed: a wrong path must surface as "not found".
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : null;
        }

        var fromVariable = getEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(fromVariable))
        {
            return File.Exists(fromVariable) ? Path.GetFullPath(fromVariable) : null;
        }

        foreach (var directory in (getEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "claude");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var home = getEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] usualPlaces =
        [
            Path.Combine(home, ".claude", "local", "claude"),
            Path.Combine(home, ".local", "bin", "claude"),
            Path.Combine(home, ".npm-global", "bin", "claude"),
            "/usr/local/bin/claude",
            "/opt/homebrew/bin/claude",
        ];
        return usualPlaces.FirstOrDefault(File.Exists);
    }
}
