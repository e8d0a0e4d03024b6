using System.Diagnostics;
using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// Which <c>entrypoint</c> the CLI writes into the server's sessions (stdio-protocol.md, "Entrypoints"): editors get a
/// name of this project's, so `claude --resume` lists their sessions; scripts keep the SDK's <c>sdk-cli</c>. And the
/// server's <c>includeProgrammatic</c> agrees with the official SDK's on every name it writes.
/// </summary>
public sealed class EntrypointTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Every_kind_of_client_writes_its_name_and_the_SDK_agrees_on_which_sessions_are_programmatic()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var expected = new Dictionary<string, string>(); // session id -> the entrypoint its transcript must say

        async Task CreateThrough(object? initialize, string prompt, string entrypoint, string? kind = null)
        {
            await using var server = ServerProcess.Start(environment, output);
            if (initialize is not null)
            {
                await server.InvokeAsync("initialize", initialize);
            }

            var created = await server.InvokeAsync("session/create", kind is null
                ? new { workingDirectory = environment.Workspace, prompt }
                : new { workingDirectory = environment.Workspace, prompt, entrypoint = kind });
            expected[(string)created["sessionId"]!] = entrypoint;
            Assert.Equal(0, await server.ShutdownAsync());
        }

        await CreateThrough(new { clientInfo = new { name = "vscode-claude-sessions", version = "0.1.0" } }, "from vs code", SessionEntrypoint.VsCode);
        await CreateThrough(new { clientInfo = new { name = "claude_sessions.nvim" } }, "from neovim", SessionEntrypoint.Neovim);
        await CreateThrough(null, "from a client that never says", SessionEntrypoint.Interactive);
        await CreateThrough(new { clientInfo = new { name = "my-batch-job" }, entrypoint = "programmatic" }, "from a client that asks for programmatic", CliEntrypoint.Programmatic);
        await CreateThrough(new { clientInfo = new { name = "vscode-claude-sessions" } }, "one programmatic session of an editor", CliEntrypoint.Programmatic, kind: "programmatic");
        expected[await CallCreateAsync(environment, "from call mode")] = CliEntrypoint.Programmatic;
        expected[await CallCreateAsync(environment, "from call mode, asking", "--entrypoint", "interactive")] = SessionEntrypoint.Interactive;

        foreach (var (sessionId, entrypoint) in expected)
        {
            Assert.Equal([entrypoint], EntrypointsOf(environment, sessionId));
        }

        // The server's programmatic filter and the SDK's, on the same transcripts.
        await using var lister = ServerProcess.Start(environment, output);
        var interactive = expected.Where(e => !CliEntrypoint.IsProgrammatic(e.Value)).Select(e => e.Key).Order().ToList();
        Assert.Equal(4, interactive.Count);
        var serverListed = await ListIdsAsync(lister, environment, includeProgrammatic: false);
        var sdkListed = await SdkListIdsAsync(environment, includeProgrammatic: false);
        Assert.Equal(interactive, serverListed);
        Assert.Equal(sdkListed, serverListed);
        Assert.Equal(expected.Keys.Order().ToList(), await ListIdsAsync(lister, environment, includeProgrammatic: true));
        Assert.Equal(expected.Keys.Order().ToList(), await SdkListIdsAsync(environment, includeProgrammatic: true));
    }

    [Fact]
    public async Task A_resume_writes_the_connections_name_but_the_first_turn_keeps_deciding_the_listing()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var scripted = await CallCreateAsync(environment, "made by a script");
        string edited;
        await using (var server = ServerProcess.Start(environment, output))
        {
            await server.InvokeAsync("initialize", new { clientInfo = new { name = "claude_sessions.nvim" } });
            await server.InvokeAsync("session/resume", new { sessionId = scripted, prompt = "continued in neovim" });
            edited = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "made in neovim" }))["sessionId"]!;
            Assert.Equal(0, await server.ShutdownAsync());
        }

        await CallAsync(environment, "session/resume", new JObject { ["sessionId"] = edited, ["prompt"] = "continued by a script" });

        Assert.Equal([CliEntrypoint.Programmatic, SessionEntrypoint.Neovim], EntrypointsOf(environment, scripted));
        Assert.Equal([SessionEntrypoint.Neovim, CliEntrypoint.Programmatic], EntrypointsOf(environment, edited));
        await using var lister = ServerProcess.Start(environment, output);
        Assert.Equal([edited], await ListIdsAsync(lister, environment, includeProgrammatic: false));
        Assert.Equal([edited], await SdkListIdsAsync(environment, includeProgrammatic: false));
    }

    [Fact]
    public async Task Initialize_says_which_entrypoint_the_connection_writes_and_refuses_unknown_kinds()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);

        async Task<(string Kind, string Name)> Initialize(object parameters)
        {
            var entrypoint = (await server.InvokeAsync("initialize", parameters))["entrypoint"]!;
            return ((string)entrypoint["kind"]!, (string)entrypoint["name"]!);
        }

        Assert.Equal(("interactive", SessionEntrypoint.Interactive), await Initialize(new { }));
        Assert.Equal(("interactive", SessionEntrypoint.VsCode), await Initialize(new { clientInfo = new { name = "VSCode-Claude-Sessions" } }));
        Assert.Equal(("interactive", SessionEntrypoint.Neovim), await Initialize(new { clientInfo = new { name = "claude_sessions.nvim" }, entrypoint = "interactive" }));

        // A client's own string never becomes the name: only the fixed names are written.
        Assert.Equal(("interactive", SessionEntrypoint.Interactive), await Initialize(new { clientInfo = new { name = "sdk-cli" } }));
        Assert.Equal(("interactive", SessionEntrypoint.Interactive), await Initialize(new { clientInfo = new { name = "evil\n--flag; $(x)" } }));
        Assert.Equal(("programmatic", CliEntrypoint.Programmatic), await Initialize(new { clientInfo = new { name = "vscode-claude-sessions" }, entrypoint = "programmatic" }));

        foreach (var bad in new object[] { new { entrypoint = "batch" }, new { entrypoint = 1 }, new { entrypoint = "Interactive" }, new { entrypoint = "sdk-cli" } })
        {
            var error = await server.InvokeExpectingErrorAsync("initialize", bad);
            Assert.Equal(-32602, error.ErrorCode);
            Assert.Equal("entrypoint", (string?)error.ErrorData?["parameter"]);
        }

        var create = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "x", entrypoint = "daemon" });
        Assert.Equal(-32602, create.ErrorCode);
        Assert.Equal("entrypoint", (string?)create.ErrorData?["parameter"]);
        Assert.Empty(Directory.Exists(environment.ProjectsDirectory) ? Directory.EnumerateFiles(environment.ProjectsDirectory, "*.jsonl", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task The_command_line_option_sets_the_kind_for_clients_that_do_not_say_and_refuses_other_values()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using (var server = ServerProcess.Start(environment, output, extraArguments: ["--entrypoint", "programmatic"]))
        {
            var said = (await server.InvokeAsync("initialize", new { clientInfo = new { name = "vscode-claude-sessions" } }))["entrypoint"]!;
            Assert.Equal("programmatic", (string?)said["kind"]);

            // The client's own word wins over the option.
            said = (await server.InvokeAsync("initialize", new { entrypoint = "interactive" }))["entrypoint"]!;
            Assert.Equal(SessionEntrypoint.Interactive, (string?)said["name"]);
        }

        await using var bad = ServerProcess.Launch(environment, output, ["--entrypoint", "sdk-cli"]);
        Assert.Equal(2, await bad.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Each name the server may write, and the near misses around the SDK's set, judged by the server and the SDK alike.</summary>
    [Fact]
    public async Task The_server_and_the_SDK_agree_on_every_name_the_server_writes_and_its_neighbours()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        string[] names = [.. SessionEntrypoint.AllNames, "sdk-ts", "sdk-py", "sdk-other", "SDK-CLI", "cli", "claude-vscode"];
        Assert.All(SessionEntrypoint.AllNames, name => Assert.True(CliEntrypoint.IsSafe(name), name));
        Assert.Equal([CliEntrypoint.Programmatic], SessionEntrypoint.AllNames.Where(CliEntrypoint.IsProgrammatic));
        var ids = new Dictionary<string, string>();
        foreach (var name in names)
        {
            var sessionId = Guid.NewGuid().ToString();
            var path = global::ClaudeSessionSidecar.Tests.Protocol.PlantedTranscript.Write(environment, sessionId, firstTimestamp: "2026-01-01T00:00:00.000Z");
            File.WriteAllLines(path, File.ReadLines(path).ToList().Select(line =>
            {
                var entry = TranscriptLines.TryParseObject(line)!;
                entry["entrypoint"] = name;
                return entry.ToString(Newtonsoft.Json.Formatting.None);
            }));
            ids[sessionId] = name;
        }

        await using var server = ServerProcess.Start(environment, output);
        var serverListed = await ListIdsAsync(server, environment, includeProgrammatic: false);
        var sdkListed = await SdkListIdsAsync(environment, includeProgrammatic: false);
        var shown = names.Except(["sdk-cli", "sdk-ts", "sdk-py"]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(shown, serverListed.Select(id => ids[id]).Order(StringComparer.Ordinal));
        Assert.Equal(shown, sdkListed.Select(id => ids[id]).Order(StringComparer.Ordinal));
        Assert.Equal(names.Length, (await ListIdsAsync(server, environment, includeProgrammatic: true)).Count);
    }

    /// <summary>Every distinct <c>entrypoint</c> of the transcript's lines, in the order they first appear.</summary>
    internal static List<string> EntrypointsOf(TestEnvironment environment, string sessionId)
    {
        var path = Directory.EnumerateFiles(environment.ProjectsDirectory, sessionId + ".jsonl", SearchOption.AllDirectories).Single();
        return File.ReadLines(path)
            .Select(TranscriptLines.TryParseObject)
            .Select(line => (string?)line?["entrypoint"])
            .OfType<string>()
            .Distinct()
            .ToList();
    }

    /// <summary>Creates a session with <c>ClaudeSessionSidecar call session/create</c>, as a script would, and returns its id.</summary>
    internal static async Task<string> CallCreateAsync(TestEnvironment environment, string prompt, params string[] options) =>
        (string)(await CallAsync(environment, "session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = prompt }, options))["sessionId"]!;

    /// <summary>Runs <c>ClaudeSessionSidecar call</c> as a process, as a script would, and returns its result (failing on an error).</summary>
    internal static async Task<JToken> CallAsync(TestEnvironment environment, string method, JObject parameters, params string[] options)
    {
        var startInfo = new ProcessStartInfo(Repository.ServerCommand[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = environment.Root };
        string[] arguments =
        [
            .. Repository.ServerCommand.Skip(1), "call", method, parameters.ToString(Newtonsoft.Json.Formatting.None),
            "--store", environment.StoreDirectory, "--claude-path", RealClaudeCli.Path, .. options,
        ];
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment.Variables())
        {
            startInfo.Environment[name] = value;
        }

        using var call = Process.Start(startInfo)!;
        var stdout = call.StandardOutput.ReadToEndAsync();
        var stderr = call.StandardError.ReadToEndAsync();
        await call.WaitForExitAsync();
        Assert.True(call.ExitCode == 0, $"call exited {call.ExitCode}: {await stderr}{await stdout}");
        return TranscriptLines.Parse(await stdout);
    }

    private static async Task<List<string>> ListIdsAsync(ServerProcess server, TestEnvironment environment, bool includeProgrammatic) =>
        (await server.InvokeAsync("session/list", new { workingDirectory = environment.Workspace, includeExternal = true, includeProgrammatic, limit = 1000 }))["sessions"]!
            .Select(s => (string)s["sessionId"]!).Order().ToList();

    private static async Task<List<string>> SdkListIdsAsync(TestEnvironment environment, bool includeProgrammatic) =>
        (await SdkOracle.RunAsync(environment, "list", new JObject { ["dir"] = environment.Workspace, ["includeProgrammatic"] = includeProgrammatic }))
            .Select(s => (string)s["sessionId"]!).Order().ToList();
}
