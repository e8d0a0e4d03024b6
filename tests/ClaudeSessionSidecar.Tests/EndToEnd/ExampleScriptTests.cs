using System.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>The scripts in examples/ run as a user runs them, against the built server, the real CLI and the fake API.</summary>
public sealed class ExampleScriptTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task The_READMEs_demo_creates_a_session_and_lists_it()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);

        var (exitCode, printed) = await RunAsync(environment, "bash", Path.Combine(Repository.Root, "examples", "demo.sh"));

        Assert.Equal(0, exitCode);
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => (JObject)TranscriptLines.Parse(line)).ToList();
        Assert.Equal(2, lines.Count);
        var sessionId = (string?)lines[0]["result"]!["sessionId"];
        Assert.False(string.IsNullOrEmpty(sessionId));
        Assert.Equal(sessionId, (string?)lines[1]["result"]!["sessions"]![0]!["sessionId"]);
    }

    [Fact]
    public async Task The_bash_and_jq_script_starts_a_session_then_continues_it()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var folder = environment.Create("a folder with spaces");
        var script = Path.Combine(Repository.Root, "examples", "continue-latest.sh");

        var (firstCode, first) = await RunAsync(environment, "bash", script, folder, "first \"quoted\" prompt");
        var (secondCode, second) = await RunAsync(environment, "bash", script, folder, "second prompt");

        Assert.Equal(0, firstCode);
        Assert.Equal(0, secondCode);
        Assert.Contains(FakeMessagesApi.ReplyTo("first \"quoted\" prompt"), first, StringComparison.Ordinal);
        Assert.Contains(FakeMessagesApi.ReplyTo("second prompt"), second, StringComparison.Ordinal);
        var sessionLine = first.Split('\n').First(line => line.StartsWith("session ", StringComparison.Ordinal));
        Assert.Contains(sessionLine, second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_CSharp_file_based_app_starts_a_session_then_continues_it()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var folder = environment.Create("a folder with spaces");
        var script = Path.Combine(Repository.Root, "examples", "ContinueLatest.cs");

        var (firstCode, first, firstErrors) = await RunWithStderrAsync(environment, "dotnet", DotnetRun(script, folder, "first \"quoted\" prompt"));
        var (secondCode, second, secondErrors) = await RunWithStderrAsync(environment, "dotnet", DotnetRun(script, folder, "second prompt"));

        Assert.Equal(0, firstCode);
        Assert.Equal(0, secondCode);
        Assert.Contains("no resumable session", firstErrors, StringComparison.Ordinal);
        Assert.Contains(FakeMessagesApi.ReplyTo("first \"quoted\" prompt"), first, StringComparison.Ordinal);
        var sessionLine = first.Split('\n').First(line => line.StartsWith("session ", StringComparison.Ordinal));
        Assert.Contains("continuing " + sessionLine["session ".Length..], secondErrors, StringComparison.Ordinal);
        Assert.Contains(sessionLine, second, StringComparison.Ordinal);
        Assert.Contains(FakeMessagesApi.ReplyTo("second prompt"), second, StringComparison.Ordinal);
    }

    [Fact]
    public void The_CSharp_file_based_app_uses_the_StreamJsonRpc_version_of_Directory_Packages_props()
    {
        var packages = System.Xml.Linq.XDocument.Load(Path.Combine(Repository.Root, "Directory.Packages.props"));
        var central = packages.Descendants("PackageVersion").Single(item => (string?)item.Attribute("Include") == "StreamJsonRpc");
        var script = File.ReadAllLines(Path.Combine(Repository.Root, "examples", "ContinueLatest.cs"));

        Assert.Contains($"#:package StreamJsonRpc@{(string?)central.Attribute("Version")}", script);
    }

    [Fact]
    public async Task The_CSharp_file_based_app_reports_an_error_by_its_code_and_reason()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var script = Path.Combine(Repository.Root, "examples", "ContinueLatest.cs");

        var (exitCode, _, errors) = await RunWithStderrAsync(environment, "dotnet", DotnetRun(script, environment.Workspace, "hello"), claudePath: Path.Combine(environment.Root, "no-such-claude"));

        Assert.Equal(1, exitCode);
        Assert.Contains("error -31003 (cli_not_found): ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_python_client_creates_resumes_and_lists()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);

        var (exitCode, printed) = await RunAsync(environment, "python3", Path.Combine(Repository.Root, "examples", "sidecar_client.py"), environment.Workspace, "hello from python", "and again");

        Assert.Equal(0, exitCode);
        Assert.Contains(FakeMessagesApi.ReplyTo("hello from python"), printed, StringComparison.Ordinal);
        Assert.Contains(FakeMessagesApi.ReplyTo("and again"), printed, StringComparison.Ordinal);
        Assert.Contains($"resumable sessions in {environment.Workspace}: 1", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_one_shot_call_prints_errors_as_JSON_with_exit_code_1()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);

        var (exitCode, printed) = await RunAsync(environment, Repository.ServerCommand[0], [.. Repository.ServerCommand.Skip(1), "call", "session/status", """{"sessionId":"../etc"}"""]);
        var (usageCode, _) = await RunAsync(environment, Repository.ServerCommand[0], [.. Repository.ServerCommand.Skip(1), "call", "session/status", "{not json"]);

        Assert.Equal(1, exitCode);
        var error = (JObject)TranscriptLines.Parse(printed);
        Assert.Equal(-32602, (int?)error["code"]);
        Assert.Equal("sessionId", (string?)error["data"]!["parameter"]);
        Assert.Equal(2, usageCode);
    }

    [Fact]
    public async Task The_one_shot_call_streams_messages_to_stderr_when_asked()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var parameters = new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "streamed" }.ToString(Newtonsoft.Json.Formatting.None);

        var (exitCode, printed, errors) = await RunWithStderrAsync(environment, Repository.ServerCommand[0], [.. Repository.ServerCommand.Skip(1), "call", "--stream", "session/create", parameters]);

        Assert.Equal(0, exitCode);
        Assert.Equal(FakeMessagesApi.ReplyTo("streamed"), (string?)TranscriptLines.Parse(printed)["result"]!["text"]);
        var notifications = errors.Split('\n').Where(line => line.StartsWith('{')).Select(line => (JObject)TranscriptLines.Parse(line)).ToList();
        Assert.Contains(notifications, n => (string?)n["params"]!["message"]!["type"] == "assistant");
    }

    /// <summary><c>dotnet run</c> of a file-based app, as its first line shows.</summary>
    private static string[] DotnetRun(string script, params string[] arguments) => ["run", script, "--", .. arguments];

    private static string NuGetPackagesFolder { get; } = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
        ? configured
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private async Task<(int ExitCode, string Output)> RunAsync(TestEnvironment environment, string program, params string[] arguments)
    {
        var (exitCode, printed, _) = await RunWithStderrAsync(environment, program, arguments);
        return (exitCode, printed);
    }

    private async Task<(int ExitCode, string Output, string Errors)> RunWithStderrAsync(TestEnvironment environment, string program, string[] arguments, string? claudePath = null)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = environment.Root };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment.Variables())
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment["SIDECAR"] = string.Join(' ', Repository.ServerCommand);
        startInfo.Environment["DEMO_DIR"] = environment.Workspace;
        startInfo.Environment["CLAUDE_SIDECAR_CLAUDE_PATH"] = claudePath ?? RealClaudeCli.Path;

        // HOME is the test's own; `dotnet run` of a file-based app restores from the machine's package cache, as a user's would.
        startInfo.Environment["NUGET_PACKAGES"] = NuGetPackagesFolder;
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(startInfo)!;
        var printed = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        output.WriteLine(await printed);
        output.WriteLine(await errors);
        return (process.ExitCode, await printed, await errors);
    }
}
