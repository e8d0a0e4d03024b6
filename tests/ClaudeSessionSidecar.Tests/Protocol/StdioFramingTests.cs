using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>Raw bytes on the built server's stdio: both framings, malformed JSON, and the README's demo.</summary>
public sealed class StdioFramingTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Newline_framing_runs_the_READMEs_demo_create_then_list()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"]);
        var stdin = server.Process.StandardInput;
        var stdout = server.Process.StandardOutput;

        await stdin.WriteLineAsync(new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "session/create", ["params"] = new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "Say hello" } }.ToString(Newtonsoft.Json.Formatting.None));
        await stdin.FlushAsync();
        var lines = new List<JObject>();
        while (await stdout.ReadLineAsync() is { } line)
        {
            var message = (JObject)TranscriptLines.Parse(line);
            lines.Add(message);
            if ((int?)message["id"] == 1)
            {
                break;
            }
        }

        Assert.Equal("session/message", (string?)lines[0]["method"]);
        var sessionId = (string?)lines[^1]["result"]!["sessionId"];
        Assert.Equal(sessionId, (string?)lines[0]["params"]!["sessionId"]);

        await stdin.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":"session/listResumable","params":{}}""");
        await stdin.FlushAsync();
        var listed = (JObject)TranscriptLines.Parse((await stdout.ReadLineAsync())!);
        Assert.Equal(sessionId, (string?)listed["result"]!["sessions"]![0]!["sessionId"]);

        stdin.Close();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Malformed_JSON_and_invalid_requests_get_their_errors_and_the_server_goes_on()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"]);
        var stdin = server.Process.StandardInput;
        var stdout = server.Process.StandardOutput;

        await stdin.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize",""");
        await stdin.FlushAsync();
        var parseError = (JObject)TranscriptLines.Parse((await stdout.ReadLineAsync())!);
        Assert.Equal(-32700, (int?)parseError["error"]!["code"]);

        await stdin.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":42}""");
        await stdin.FlushAsync();
        var invalid = (JObject)TranscriptLines.Parse((await stdout.ReadLineAsync())!);
        Assert.Equal(-32600, (int?)invalid["error"]!["code"]);

        await stdin.WriteLineAsync("""{"jsonrpc":"2.0","id":3,"method":"initialize","params":{}}""");
        await stdin.FlushAsync();
        var answer = (JObject)TranscriptLines.Parse((await stdout.ReadLineAsync())!);
        Assert.Equal(3, (int?)answer["id"]);
        Assert.Equal("ClaudeSessionSidecar", (string?)answer["result"]!["serverInfo"]!["name"]);
    }

    [Fact]
    public async Task Many_requests_at_once_get_whole_answers_each()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"]);
        var stdin = server.Process.StandardInput;
        var requests = new StringBuilder();
        for (var id = 1; id <= 60; id++)
        {
            var method = (id % 3) switch { 0 => "initialize", 1 => "session/listResumable", _ => "session/status" };
            var parameters = method == "session/status" ? new JObject { ["sessionId"] = Guid.NewGuid().ToString() } : new JObject();
            requests.Append(new JObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters }.ToString(Newtonsoft.Json.Formatting.None)).Append('\n');
        }

        // All written in one go and stdin closed: answered concurrently, and every answer must still be a whole line.
        await stdin.WriteAsync(requests.ToString());
        stdin.Close();
        var ids = new List<int>();
        while (await server.Process.StandardOutput.ReadLineAsync() is { } line)
        {
            var answer = (JObject)TranscriptLines.Parse(line);
            Assert.True(answer.ContainsKey("result"), line);
            ids.Add((int)answer["id"]!);
        }

        Assert.Equal(Enumerable.Range(1, 60), ids.Order());
    }

    [Fact]
    public async Task Content_length_framing_is_the_default()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Launch(environment, output, []);
        var body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}""");
        var stdin = server.Process.StandardInput.BaseStream;
        await stdin.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
        await stdin.WriteAsync(body);
        await stdin.FlushAsync();

        var header = await server.Process.StandardOutput.ReadLineAsync();
        Assert.StartsWith("Content-Length: ", header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_without_shutdown_ends_the_process_with_code_1()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"]);
        await server.Process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","method":"exit"}""");
        await server.Process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","method":"exit"}""");
        await server.Process.StandardInput.FlushAsync();

        Assert.Equal(1, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("--version", 0, "ClaudeSessionSidecar ")]
    [InlineData("--help", 0, "Usage: ClaudeSessionSidecar")]
    [InlineData("--bogus", 2, "")]
    [InlineData("--framing", 2, "")]
    public async Task The_command_line_answers_version_help_and_mistakes(string argument, int exitCode, string stdoutStart)
    {
        using var environment = new TestEnvironment();
        await using var server = ServerProcess.Launch(environment, output, [argument]);
        var printed = await server.Process.StandardOutput.ReadToEndAsync();

        Assert.Equal(exitCode, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith(stdoutStart, printed, StringComparison.Ordinal);
    }
}
