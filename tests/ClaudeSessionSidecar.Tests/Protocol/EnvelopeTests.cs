using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Nerdbank.Streams;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// What stdio-protocol.md says about the envelope, ids, params and answer shapes, over an in-memory pipe with raw
/// lines, and a scripted CLI: a prompt "wait" makes it wait for a file, any other prompt announces the session and
/// ends with a <c>result</c> that carries nothing but its subtype.
/// </summary>
public sealed class EnvelopeTests : IAsyncLifetime
{
    private readonly ITestOutputHelper output;
    private readonly TestEnvironment environment = new();
    private readonly string release;
    private Stream clientSide = null!;
    private SidecarHost host = null!;
    private RawJsonRpcClient client = null!;
    private Task<int> serverExit = null!;

    public EnvelopeTests(ITestOutputHelper output)
    {
        this.output = output;
        release = Path.Combine(environment.Root, "release");
    }

    public Task InitializeAsync()
    {
        var cli = ScriptedCli.Write(environment, "claude", $$"""
            if [[ "$prompt" == *'"wait"'* ]]; then
              while [ ! -e '{{release}}' ]; do sleep 0.05; done
              exit 1
            fi
            echo '{{ScriptedCli.Init}}'
            echo '{"type":"result","subtype":"error_during_execution","is_error":true,"session_id":"{{ScriptedCli.SessionId}}"}'
            """);
        (var serverSide, clientSide) = FullDuplexStream.CreatePair();
        host = new SidecarHost(serverSide, serverSide, EngineFactory.Sessions(environment, output, cli), Framing.Newline, new TestLog(output));
        host.Start();
        serverExit = host.WaitForExitAsync();
        client = new RawJsonRpcClient(clientSide, clientSide);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        File.WriteAllText(release, "");
        clientSide.Dispose();
        Assert.Equal(0, await serverExit.WaitAsync(TimeSpan.FromSeconds(30)));
        await host.DisposeAsync();
        environment.Dispose();
    }

    [Fact]
    public async Task Positional_params_get_a_clean_invalid_params_for_every_method()
    {
        foreach (var method in host.MethodNames)
        {
            await client.WriteLineAsync($$"""{"jsonrpc":"2.0","id":"{{method}}","method":"{{method}}","params":["a","b"]}""");
            var answer = await client.ReadMessageAsync();

            output.WriteLine(answer.ToString(Newtonsoft.Json.Formatting.None));
            Assert.Equal(method, (string?)answer["id"]);
            Assert.Equal(-32602, (int?)answer["error"]!["code"]);
            Assert.Equal("params", (string?)answer["error"]!["data"]!["parameter"]);
            Assert.Equal("invalid_params", (string?)answer["error"]!["data"]!["reason"]);
            Assert.DoesNotContain("JToken", (string?)answer["error"]!["message"], StringComparison.Ordinal);
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_empty_params_array_counts_as_no_params()
    {
        await client.WriteLineAsync("""{"jsonrpc":"2.0","id":8,"method":"initialize","params":[]}""");
        Assert.Equal(SidecarHost.ServerName, (string?)(await client.ReadMessageAsync())["result"]!["serverInfo"]!["name"]);

        await client.WriteLineAsync("""{"jsonrpc":"2.0","id":9,"method":"session/status","params":[]}""");
        var missing = await client.ReadMessageAsync();
        Assert.Equal(-32602, (int?)missing["error"]!["code"]);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("null")]
    public async Task A_request_with_the_id_of_a_running_one_is_refused_and_the_running_one_still_answers(string id)
    {
        var wait = Request(id, "session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "wait" });
        await client.WriteLineAsync(wait);
        await client.WriteLineAsync(wait);

        var refused = await client.ReadMessageAsync();
        Assert.Equal(-32600, (int?)refused["error"]!["code"]);
        Assert.Equal("invalid_request", (string?)refused["error"]!["data"]!["reason"]);
        Assert.Equal(id, refused["id"]!.ToString(Newtonsoft.Json.Formatting.None));

        File.WriteAllText(release, "");
        var first = await client.ReadMessageAsync();
        Assert.Equal(id, first["id"]!.ToString(Newtonsoft.Json.Formatting.None));
        Assert.Equal(-31002, (int?)first["error"]!["code"]);

        // Answered: the id is free again.
        await client.WriteLineAsync($$"""{"jsonrpc":"2.0","id":{{id}},"method":"initialize"}""");
        Assert.NotNull((await client.ReadMessageAsync())["result"]!["serverInfo"]);
    }

    [Fact]
    public async Task A_request_with_id_null_runs_and_is_answered_with_id_null()
    {
        await client.WriteLineAsync("""{"jsonrpc":"2.0","id":null,"method":"initialize","params":{}}""");
        var answer = await client.ReadMessageAsync();

        Assert.Equal(JTokenType.Null, answer["id"]!.Type);
        Assert.Equal(SidecarHost.ServerName, (string?)answer["result"]!["serverInfo"]!["name"]);
    }

    public static TheoryData<string, int, string?> InputsThatReachedDotNetInternals() => new()
    {
        // An id beyond 64 bits ended the connection; a limit beyond 64 bits answered a stack trace.
        { """{"jsonrpc":"2.0","id":99999999999999999999,"method":"initialize"}""", -32600, null },
        { """{"jsonrpc":"2.0","id":1,"method":"session/list","params":{"limit":99999999999999999999}}""", -32602, "limit" },
        // A "traceparent" that is not a string ended the connection.
        { """{"jsonrpc":"2.0","id":2,"method":"initialize","traceparent":{}}""", -32600, null },
        // Not strict JSON.
        { """{'jsonrpc':'2.0','id':3,'method':'initialize'}""", -32700, null },
    };

    [Theory]
    [MemberData(nameof(InputsThatReachedDotNetInternals))]
    public async Task Input_that_reached_dotnet_internals_gets_a_documented_error_and_the_server_goes_on(string line, int code, string? parameter)
    {
        await client.WriteLineAsync(line);
        var answer = await client.ReadMessageAsync();

        output.WriteLine(answer.ToString(Newtonsoft.Json.Formatting.None));
        Assert.Equal(code, (int?)answer["error"]!["code"]);
        Assert.Equal(parameter, (string?)answer["error"]!["data"]!["parameter"]);
        Assert.Null(answer["error"]!["data"]!["stack"]);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_string_that_is_not_UTF8_is_a_parse_error()
    {
        byte[] line = [.. """{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"clientInfo":{"name":"""u8, (byte)'"', 0xC3, 0x28, (byte)'"', .. "}}}\n"u8];
        await clientSide.WriteAsync(line);
        await clientSide.FlushAsync();

        var answer = await client.ReadMessageAsync();
        Assert.Equal(-32700, (int?)answer["error"]!["code"]);
        Assert.Equal(JTokenType.Null, answer["id"]!.Type);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_turn_result_says_null_for_what_the_CLI_left_out()
    {
        await client.WriteLineAsync(Request("5", "session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "hi" }));
        JObject answer;
        while ((answer = await client.ReadMessageAsync())["method"] is not null)
        {
            // session/message notifications first.
        }

        var result = (JObject)answer["result"]!["result"]!;
        foreach (var name in new[] { "text", "numTurns", "durationMs", "totalCostUsd" })
        {
            Assert.True(result.TryGetValue(name, out var value) && value.Type == JTokenType.Null, $"{name} in {result}");
        }

        Assert.Equal("error_during_execution", (string?)result["subtype"]);
        Assert.True((bool)result["isError"]!);
    }

    [Fact]
    public async Task Times_the_server_makes_are_UTC_with_exactly_three_fractional_digits()
    {
        var sessionId = Guid.NewGuid().ToString();
        var transcript = PlantedTranscript.Write(environment, sessionId, firstTimestamp: "2026-01-01T00:00:00Z");
        File.SetLastWriteTimeUtc(transcript, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567));

        await client.WriteLineAsync(Request("6", "session/info", new JObject { ["sessionId"] = sessionId, ["workingDirectory"] = environment.Workspace }));
        var info = (await client.ReadMessageAsync())["result"]!;

        output.WriteLine(info.ToString());
        Assert.Equal("2026-01-02T03:04:05.123+00:00", (string?)info["lastModified"]);
        Assert.Equal("2026-01-01T00:00:00.000+00:00", (string?)info["createdAt"]);
    }

    private async Task AssertStillServingAsync()
    {
        var answer = await client.RequestAsync("initialize", new JObject());
        Assert.Equal(SidecarHost.ServerName, (string?)answer["result"]!["serverInfo"]!["name"]);
    }

    /// <param name="id">The id as JSON text: <c>7</c>, <c>"a"</c> or <c>null</c>.</param>
    private static string Request(string id, string method, JObject parameters) =>
        new JObject { ["jsonrpc"] = "2.0", ["id"] = TranscriptLines.Parse(id), ["method"] = method, ["params"] = parameters }.ToString(Newtonsoft.Json.Formatting.None);
}

/// <summary>Hand-written transcripts of a user line and an assistant line, as the CLI lays them out.</summary>
public static class PlantedTranscript
{
    /// <returns>The transcript's path.</returns>
    public static string Write(TestEnvironment environment, string sessionId, string firstTimestamp)
    {
        var folder = Directory.CreateDirectory(Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(environment.Workspace))).FullName;
        var path = Path.Combine(folder, sessionId + ".jsonl");
        var common = new JObject { ["sessionId"] = sessionId, ["cwd"] = environment.Workspace };
        var user = new JObject(common) { ["type"] = "user", ["uuid"] = "u1", ["parentUuid"] = null, ["timestamp"] = firstTimestamp, ["message"] = new JObject { ["role"] = "user", ["content"] = "hello" } };
        var assistant = new JObject(common) { ["type"] = "assistant", ["uuid"] = "a1", ["parentUuid"] = "u1", ["timestamp"] = "2026-01-01T00:00:01.000Z", ["message"] = new JObject { ["role"] = "assistant", ["content"] = new JArray(new JObject { ["type"] = "text", ["text"] = "hi" }) } };
        File.WriteAllText(path, user.ToString(Newtonsoft.Json.Formatting.None) + "\n" + assistant.ToString(Newtonsoft.Json.Formatting.None) + "\n", new UTF8Encoding(false));
        return path;
    }
}
