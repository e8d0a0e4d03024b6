using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// An error that repeats a client's value shows at most 200 characters of it, marked as cut with the value's length:
/// a 2 MB bad value gets an error of a few hundred bytes, on both faces (the built server, JIT or NativeAOT) and in
/// <c>call</c> mode, and the server answers the next request.
/// </summary>
public sealed class LongValueErrorTests(ITestOutputHelper output) : IDisposable
{
    private const int TwoMegabytes = 2 * 1024 * 1024;

    /// <summary>An error's whole JSON, message, data and envelope: 200 characters of the value and the rest.</summary>
    private const int MaxErrorBytes = 1024;

    private static readonly string Long = new('A', TwoMegabytes);

    private readonly TestEnvironment environment = new();

    /// <summary>The value is <paramref name="prefix"/> and 2 MB of 'A' (the theory's data stays short, for test names).</summary>
    [Theory]
    // The face's own check (Require: not absolute), then the engine's (SessionCatalog: absolute, but no such folder).
    [InlineData("session/create", "workingDirectory", "")]
    [InlineData("session/prepare", "workingDirectory", "/")]
    [InlineData("session/listResumable", "workingDirectory", "/")]
    public async Task Stdio_face_a_2_MB_bad_value_gets_a_small_error_and_the_next_request_is_answered(string method, string parameter, string prefix)
    {
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline", "--log-level", "error"], claudePath: "/bin/false");
        var client = server.RawClient();
        var parameters = new JObject { [parameter] = prefix + Long };
        var answer = await client.RequestAsync(method, parameters);

        AssertSmallCutError(answer, -32602, prefix + Long);
        Assert.Equal(parameter, (string?)answer["error"]!["data"]!["parameter"]);
        await AssertStillServingAsync(client, "initialize");
    }

    [Fact]
    public async Task The_engine_cuts_a_folder_that_does_not_exist_and_a_status_in_error_data_is_cut_too()
    {
        // Under the system's path limit, so the face's checks let it through to the engine's.
        var missing = "/" + new string('A', 4000);
        await using (var server = ServerProcess.Launch(environment, output, ["--framing", "newline", "--log-level", "error"], claudePath: "/bin/false"))
        {
            var client = server.RawClient();
            var answer = await client.RequestAsync("session/prepare", new JObject { ["workingDirectory"] = missing });
            AssertSmallCutError(answer, -32602, missing);
            Assert.StartsWith("workingDirectory does not exist or is not a folder: ", (string?)answer["error"]!["message"], StringComparison.Ordinal);
        }

        // ACP's session/load looks for the session in the cwd given: the status in the error's data names that folder.
        await using (var acp = ServerProcess.Launch(environment, output, ["--protocol", "acp", "--log-level", "error"], claudePath: "/bin/false"))
        {
            var client = acp.RawClient();
            var answer = await client.RequestAsync("session/load", new JObject { ["sessionId"] = "01ec978c-46b2-450b-ba12-1563a088763f", ["cwd"] = missing, ["mcpServers"] = new JArray() });
            var json = answer.ToString(Formatting.None);
            output.WriteLine(json);
            Assert.Equal(-32002, (int?)answer["error"]?["code"]);
            Assert.True(Encoding.UTF8.GetByteCount(json) < MaxErrorBytes, $"an error of {Encoding.UTF8.GetByteCount(json)} bytes");
            Assert.Equal(missing[..ClientText.MaxShown] + "… (4001 characters, cut)", (string?)answer["error"]!["data"]!["status"]!["workingDirectory"]);
        }
    }

    [Fact]
    public async Task Stdio_face_an_unknown_method_of_2_MB_gets_method_not_found_with_its_name_cut()
    {
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline", "--log-level", "error"], claudePath: "/bin/false");
        var client = server.RawClient();

        var answer = await client.RequestAsync(Long, new JObject());

        AssertSmallCutError(answer, -32601, Long);
        Assert.Null(answer["error"]!["data"]);
        await AssertStillServingAsync(client, "initialize");
    }

    /// <summary>LONG in the params is 2 MB of 'A'; WORKSPACE an existing folder.</summary>
    [Theory]
    [InlineData("session/new", """{"cwd":"LONG","mcpServers":[]}""")]
    [InlineData("session/new", """{"cwd":"/LONG","mcpServers":[]}""")]
    [InlineData("session/new", """{"cwd":"WORKSPACE","mcpServers":[{"name":"LONG","type":"carrier-pigeon"}]}""")]
    [InlineData("session/new", """{"cwd":"WORKSPACE","mcpServers":[{"name":"a","type":"LONG"}]}""")]
    public async Task Acp_face_a_2_MB_bad_value_gets_a_small_error_and_the_next_request_is_answered(string method, string parameters)
    {
        await using var server = ServerProcess.Launch(environment, output, ["--protocol", "acp", "--log-level", "error"], claudePath: "/bin/false");
        var client = server.RawClient();
        var json = parameters.Replace("LONG", Long, StringComparison.Ordinal).Replace("WORKSPACE", environment.Workspace, StringComparison.Ordinal);

        var answer = await client.RequestAsync(method, TranscriptLines.Parse(json));

        AssertSmallCutError(answer, -32602, parameters.Contains("\"/LONG", StringComparison.Ordinal) ? "/" + Long : Long);
        await AssertStillServingAsync(client, "initialize", new JObject { ["protocolVersion"] = 1 });
    }

    [Fact]
    public async Task Call_mode_a_2_MB_bad_value_gets_a_small_error()
    {
        // In-process: a command line cannot carry 2 MB (Linux takes at most 128 KiB per argument).
        var (exitCode, stdout, _) = await CallAsync("session/create", new JObject { ["workingDirectory"] = Long }.ToString(Formatting.None));

        Assert.Equal(1, exitCode);
        Assert.True(Encoding.UTF8.GetByteCount(stdout) < MaxErrorBytes, $"{Encoding.UTF8.GetByteCount(stdout)} bytes");
        var error = (JObject)TranscriptLines.Parse(stdout);
        Assert.Equal(-32602, (int?)error["code"]);
        Assert.Contains($"\"{new string('A', ClientText.MaxShown)}…\" ({TwoMegabytes} characters, cut)", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_mode_params_that_are_not_JSON_get_a_short_message()
    {
        // Newtonsoft's message names the path it was reading: here a 2 MB property name.
        var (exitCode, _, stderr) = await CallAsync("session/create", "{\"" + Long + "\":}");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("The params are not JSON: ", stderr, StringComparison.Ordinal);
        Assert.True(stderr.Length < MaxErrorBytes, $"{stderr.Length} characters");
        Assert.Contains("characters, cut)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_mode_an_unknown_option_value_is_quoted_and_cut()
    {
        var (exitCode, _, stderr) = await CallAsync("initialize", "{}", "--framing", Long);

        Assert.Equal(2, exitCode);
        Assert.Contains($"--framing must be content-length or newline, not \"{new string('A', ClientText.MaxShown)}…\" ({TwoMegabytes} characters, cut).", stderr, StringComparison.Ordinal);
        Assert.True(stderr.Length < MaxErrorBytes, $"{stderr.Length} characters");
    }

    public void Dispose() => environment.Dispose();

    /// <summary>The error is small, and shows exactly the first 200 characters of the (ASCII) value, then its length.</summary>
    private void AssertSmallCutError(JObject answer, int code, string value)
    {
        var json = answer.ToString(Formatting.None);
        output.WriteLine($"{Encoding.UTF8.GetByteCount(json)} bytes: {json}");
        Assert.True(Encoding.UTF8.GetByteCount(json) < MaxErrorBytes, $"an error of {Encoding.UTF8.GetByteCount(json)} bytes");
        Assert.Equal(code, (int?)answer["error"]?["code"]);
        var message = (string)answer["error"]!["message"]!;
        Assert.Contains($"\"{value[..ClientText.MaxShown]}…\" ({value.Length} characters, cut)", message, StringComparison.Ordinal);
        Assert.DoesNotContain(value[..(ClientText.MaxShown + 1)], message, StringComparison.Ordinal);
    }

    private static async Task AssertStillServingAsync(RawJsonRpcClient client, string method, JObject? parameters = null)
    {
        var answer = await client.RequestAsync(method, parameters ?? new JObject());
        Assert.True(answer["result"] is JObject, answer.ToString());
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> CallAsync(string method, string parameters, params string[] options)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        string[] arguments = [method, parameters, "--store", environment.StoreDirectory, "--claude-config-dir", environment.ConfigDirectory, "--claude-path", "/bin/false", .. options];
        var exitCode = await OneShotCall.RunAsync(arguments, stdout, stderr);
        output.WriteLine($"exit {exitCode}\nstdout: {Cut(stdout.ToString())}\nstderr: {Cut(stderr.ToString())}");
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private static string Cut(string text) => text.Length > 2000 ? text[..2000] + $"... ({text.Length} characters)" : text;
}
