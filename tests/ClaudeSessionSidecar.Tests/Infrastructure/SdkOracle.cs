using System.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// The official TypeScript Agent SDK (0.3.328), run by Node through TestData/sdk-interop/sdk-cli.mjs: what the server
/// writes, the SDK must read the same, and the reverse. Installed from npm next to the script on first use.
/// </summary>
public static class SdkOracle
{
    private static readonly Lazy<string> Script = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    private static string Folder => Path.Combine(Repository.Root, "tests", "ClaudeSessionSidecar.Tests", "TestData", "sdk-interop");

    /// <summary>Runs one SDK function against the test's config folder and returns its JSON answer.</summary>
    public static async Task<JToken> RunAsync(TestEnvironment environment, string command, JObject arguments)
    {
        var startInfo = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(Script.Value);
        startInfo.ArgumentList.Add(command);
        startInfo.ArgumentList.Add(arguments.ToString(Newtonsoft.Json.Formatting.None));
        startInfo.Environment["CLAUDE_CONFIG_DIR"] = environment.ConfigDirectory;
        startInfo.Environment["HOME"] = environment.Home;
        using var node = Process.Start(startInfo)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return node.ExitCode == 0
            ? TranscriptLines.Parse(await output)
            : throw new InvalidOperationException($"SDK {command} failed ({node.ExitCode}): {await errors}");
    }

    /// <summary>
    /// ccusage (the oracle folder's pinned version), <c>claude session --json --offline</c> over the test's config
    /// folder: its sessions by id.
    /// </summary>
    public static async Task<Dictionary<string, JObject>> CcusageSessionsAsync(TestEnvironment environment)
    {
        _ = Script.Value; // installs the oracle folder's packages when they are missing
        var startInfo = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(Folder, "node_modules", "ccusage", "src", "cli.js"), "claude", "session", "--json", "--offline" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["CLAUDE_CONFIG_DIR"] = environment.ConfigDirectory;
        startInfo.Environment["HOME"] = environment.Home;
        var (exitCode, stdout, stderr) = await ChildProcess.RunToEndAsync(startInfo);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"ccusage failed ({exitCode}): {stderr}");
        }

        return ((JArray)((JObject)TranscriptLines.Parse(stdout))["sessions"]!).OfType<JObject>().ToDictionary(session => (string)session["sessionId"]!);
    }

    private static string Install()
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "@anthropic-ai", "claude-agent-sdk")) || !Directory.Exists(Path.Combine(Folder, "node_modules", "ccusage")))
        {
            var startInfo = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Folder };
            foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--prefix", Folder })
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var npm = Process.Start(startInfo)!;
            var errors = npm.StandardError.ReadToEndAsync();
            npm.StandardOutput.ReadToEnd();
            npm.WaitForExit();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install of the SDK oracle failed: {errors.Result}");
            }
        }

        return Path.Combine(Folder, "sdk-cli.mjs");
    }
}
