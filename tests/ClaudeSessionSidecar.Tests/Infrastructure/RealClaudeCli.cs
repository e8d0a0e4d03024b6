using System.Diagnostics;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// The real Claude Code CLI the tests drive: <c>$CLAUDE_SIDECAR_TEST_CLAUDE</c>, else the copy under
/// <c>.tools/claude</c>, which is installed from npm on first use when missing.
/// </summary>
public static class RealClaudeCli
{
    /// <summary>The version every script installs, pinned in one file: <c>.claude-cli-version</c> at the repository root.</summary>
    public static string Version { get; } = File.ReadAllText(System.IO.Path.Combine(Repository.Root, ".claude-cli-version")).Trim();

    private static readonly Lazy<string> LazyPath = new(LocateOrInstall, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => LazyPath.Value;

    private static string LocateOrInstall()
    {
        if (Environment.GetEnvironmentVariable("CLAUDE_SIDECAR_TEST_CLAUDE") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"CLAUDE_SIDECAR_TEST_CLAUDE points to a missing file: {configured}");
        }

        var prefix = System.IO.Path.Combine(Repository.Root, ".tools", "claude");
        var binary = System.IO.Path.Combine(prefix, "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe");
        if (!File.Exists(binary) || new FileInfo(binary).Length < 1_000_000 || InstalledVersion(prefix) != Version)
        {
            Install(prefix);
        }

        return File.Exists(binary) ? binary : throw new InvalidOperationException($"npm install did not produce {binary}");
    }

    private static string? InstalledVersion(string prefix)
    {
        var package = System.IO.Path.Combine(prefix, "node_modules", "@anthropic-ai", "claude-code", "package.json");
        return File.Exists(package) && Engine.Transcripts.TranscriptLines.TryParseObject(File.ReadAllText(package)) is { } manifest
            ? (string?)manifest["version"]
            : null;
    }

    private static void Install(string prefix)
    {
        Directory.CreateDirectory(prefix);
        var startInfo = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = prefix };
        foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--prefix", prefix, $"@anthropic-ai/claude-code@{Version}" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var npm = Process.Start(startInfo)!;
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        npm.WaitForExit();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm install @anthropic-ai/claude-code@{Version} failed ({npm.ExitCode}): {errors.Result}{output.Result}");
        }
    }
}
