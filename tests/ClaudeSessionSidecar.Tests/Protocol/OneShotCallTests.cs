using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary><c>ClaudeSessionSidecar call</c>, in-process: what it prints on stdout and, with <c>--stream</c>, on stderr.</summary>
public sealed class OneShotCallTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment environment = new();

    [Fact]
    public async Task A_timestamp_comes_out_exactly_as_the_transcript_wrote_it()
    {
        var sessionId = Guid.NewGuid().ToString();
        PlantedTranscript.Write(environment, sessionId, firstTimestamp: "2026-01-01T00:00:00.100Z");

        var (exitCode, stdout, _) = await CallAsync("session/messages", new JObject { ["sessionId"] = sessionId, ["workingDirectory"] = environment.Workspace });

        Assert.Equal(0, exitCode);
        Assert.Contains("\"timestamp\": \"2026-01-01T00:00:00.100Z\"", stdout, StringComparison.Ordinal);
        Assert.Equal("2026-01-01T00:00:00.100Z", (string?)TranscriptLines.Parse(stdout)["messages"]![0]!["timestamp"]);
    }

    [Fact]
    public async Task Stream_writes_each_notification_whole_on_stderr_one_line_each()
    {
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\necho '{ScriptedCli.Result}'");

        var (exitCode, stdout, stderr) = await CallAsync("session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "hi" }, "--stream", "--claude-path", cli);

        Assert.Equal(0, exitCode);
        Assert.Equal("scripted", (string?)TranscriptLines.Parse(stdout)["result"]!["text"]);
        var notifications = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith('{')).Select(line => (JObject)TranscriptLines.Parse(line)).ToList();
        Assert.Equal(["system", "result"], notifications.Select(n => (string?)n["params"]!["message"]!["type"]));
        Assert.All(notifications, n => Assert.Equal("session/message", (string?)n["method"]));
        Assert.All(notifications, n => Assert.Equal(ScriptedCli.SessionId, (string?)n["params"]!["sessionId"]));
    }

    public void Dispose() => environment.Dispose();

    private async Task<(int ExitCode, string Stdout, string Stderr)> CallAsync(string method, JObject parameters, params string[] options)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        string[] arguments = [method, parameters.ToString(Newtonsoft.Json.Formatting.None), "--store", environment.StoreDirectory, "--claude-config-dir", environment.ConfigDirectory, .. options];
        if (options.FirstOrDefault() == "--stream")
        {
            arguments = ["--stream", .. arguments.Where(argument => argument != "--stream")];
        }

        var exitCode = await OneShotCall.RunAsync(arguments, stdout, stderr);
        output.WriteLine($"exit {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
