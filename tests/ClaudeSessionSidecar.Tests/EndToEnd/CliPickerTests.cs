using System.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// The CLI's own interactive <c>claude --resume</c> picker, run for real in a terminal (tmux), offline against the
/// fake Messages API: it lists the sessions an editor made through the server, and not the ones a script made.
/// </summary>
public sealed class CliPickerTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private static readonly TimeSpan PickerTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Claude_resume_in_a_terminal_lists_the_editors_sessions_and_hides_the_scripts()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        const string first = "picker alpha: the first editor session";
        const string second = "picker beta: the second editor session";
        const string scripted = "picker gamma: made by a script";
        await using (var server = ServerProcess.Start(environment, output))
        {
            var init = await server.InvokeAsync("initialize", new { clientInfo = new { name = "vscode-claude-sessions", version = "0.1.0" } });
            Assert.Equal(SessionEntrypoint.VsCode, (string?)init["entrypoint"]!["name"]);
            foreach (var prompt in new[] { first, second })
            {
                var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt });
                Assert.Equal("success", (string?)created["result"]!["subtype"]);
            }

            Assert.Equal(0, await server.ShutdownAsync());
        }

        var scriptedId = await EntrypointTests.CallCreateAsync(environment, scripted);
        Assert.Equal(["sdk-cli"], EntrypointTests.EntrypointsOf(environment, scriptedId));

        AllowInteractiveStart(environment);
        // A private tmux server, its socket inside the test's folder (deleted with it; -L would leave one in /tmp/tmux-UID).
        var socket = Path.Combine(environment.Root, "tmux.sock");
        try
        {
            await TmuxAsync(environment, socket, ["new-session", "-d", "-x", "160", "-y", "40", "-c", environment.Workspace, .. EnvironmentArguments(environment)]);
            await TmuxAsync(environment, socket, ["send-keys", "-t", "0", $"'{RealClaudeCli.Path}' --resume", "Enter"]);

            var screen = string.Empty;
            var deadline = Stopwatch.StartNew();
            while (!(screen.Contains(first, StringComparison.Ordinal) && screen.Contains(second, StringComparison.Ordinal)))
            {
                Assert.True(deadline.Elapsed < PickerTimeout, $"The picker did not list both editor sessions within {PickerTimeout.TotalSeconds} s. The screen:\n{screen}");
                await Task.Delay(250);
                screen = await TmuxAsync(environment, socket, ["capture-pane", "-p", "-t", "0"]);
            }

            // Both are listed at once, from one scan: a moment more changes nothing, and the script's session is not among them.
            await Task.Delay(1000);
            screen = await TmuxAsync(environment, socket, ["capture-pane", "-p", "-t", "0"]);
            output.WriteLine(screen);
            Assert.Contains("Resume session", screen, StringComparison.Ordinal);
            Assert.Contains(first, screen, StringComparison.Ordinal);
            Assert.Contains(second, screen, StringComparison.Ordinal);
            Assert.DoesNotContain("picker gamma", screen, StringComparison.Ordinal);
        }
        finally
        {
            await TmuxAsync(environment, socket, ["kill-server"], check: false);
        }
    }

    /// <summary>
    /// What the interactive CLI needs in its config to start offline (measured on 2.1.328): onboarding done (else it
    /// checks the real service), the API key approved (it keeps the key's last 20 characters; the whole key does not
    /// count), and the folder trusted. Merged into what the CLI has written there already.
    /// </summary>
    private static void AllowInteractiveStart(TestEnvironment environment)
    {
        var path = Path.Combine(environment.ConfigDirectory, ".claude.json");
        var config = File.Exists(path) ? TranscriptLines.TryParseObject(File.ReadAllText(path)) ?? [] : [];
        var key = environment.Variables()["ANTHROPIC_API_KEY"]!;
        config["hasCompletedOnboarding"] = true;
        config["customApiKeyResponses"] = new JObject { ["approved"] = new JArray(key[^Math.Min(20, key.Length)..]), ["rejected"] = new JArray() };
        var projects = config["projects"] as JObject ?? [];
        var project = projects[environment.Workspace] as JObject ?? [];
        project["hasTrustDialogAccepted"] = true;
        projects[environment.Workspace] = project;
        config["projects"] = projects;
        File.WriteAllText(path, config.ToString());
    }

    /// <summary>The CLI's environment as the server gives it (config folder, fake API, no traffic), for the terminal's shell.</summary>
    private static IEnumerable<string> EnvironmentArguments(TestEnvironment environment) =>
        environment.Variables().Where(variable => variable.Value is not null).SelectMany(variable => new[] { "-e", $"{variable.Key}={variable.Value}" });

    private async Task<string> TmuxAsync(TestEnvironment environment, string socket, IEnumerable<string> arguments, bool check = true)
    {
        var startInfo = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = environment.Workspace };
        startInfo.ArgumentList.Add("-S");
        startInfo.ArgumentList.Add(socket);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The tmux server takes its global environment from the client that starts it: the same as the server's CLI.
        foreach (var (name, value) in environment.Variables())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        startInfo.Environment.Remove("TMUX");
        startInfo.Environment["TERM"] = "xterm-256color";
        startInfo.Environment.Remove("CLAUDE_CODE_ENTRYPOINT");
        Process tmux;
        try
        {
            tmux = Process.Start(startInfo)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("tmux is missing (apt-get install tmux; .ci/run installs it): this test runs the CLI's picker in a terminal.", exception);
        }

        using var running = tmux;
        var stdout = tmux.StandardOutput.ReadToEndAsync();
        var stderr = tmux.StandardError.ReadToEndAsync();
        await tmux.WaitForExitAsync();
        if (check && tmux.ExitCode != 0)
        {
            Assert.Fail($"tmux {string.Join(' ', startInfo.ArgumentList)} exited {tmux.ExitCode}: {await stderr}");
        }

        return await stdout;
    }
}
