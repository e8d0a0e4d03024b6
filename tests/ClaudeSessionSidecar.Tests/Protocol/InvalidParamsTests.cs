using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Nerdbank.Streams;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// Every parameter is checked: bad input gets -32602 naming the parameter, nothing runs, and the server keeps
/// serving. In-memory (a pipe pair and a real client <see cref="JsonRpc"/>), with a CLI that must never start.
/// </summary>
public sealed class InvalidParamsTests : IAsyncLifetime
{
    private readonly ITestOutputHelper output;
    private readonly TestEnvironment environment = new();
    private SidecarHost host = null!;
    private RawJsonRpcClient client = null!;
    private Task<int> serverExit = null!;
    private string neverRunMarker = null!;

    public InvalidParamsTests(ITestOutputHelper output) => this.output = output;

    public Task InitializeAsync()
    {
        neverRunMarker = Path.Combine(environment.Root, "cli-was-run");
        // `claude --version` (for initialize) is fine; a turn (`-p`) is not.
        var cli = ScriptedCli.Write(environment, "claude", $"if [[ \" $* \" == *\" -p \"* ]]; then touch '{neverRunMarker}'; fi\nexit 1");
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        host = new SidecarHost(serverSide, serverSide, EngineFactory.Sessions(environment, output, cli), Framing.Newline, new TestLog(output));
        host.Start();
        serverExit = host.WaitForExitAsync();
        client = new RawJsonRpcClient(clientSide, clientSide);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await client.RequestAsync("shutdown");
        await client.NotifyAsync("exit");
        Assert.Equal(0, await serverExit.WaitAsync(TimeSpan.FromSeconds(30)));
        await host.DisposeAsync();
        Assert.False(File.Exists(neverRunMarker), "a request with bad params ran the CLI");
        environment.Dispose();
    }

    public static TheoryData<string, string, string> BadRequests() => new()
    {
        { "session/create", "{}", "workingDirectory" },
        { "session/create", """{"workingDirectory":"relative/path"}""", "workingDirectory" },
        { "session/create", """{"workingDirectory":"/no/such/folder/anywhere"}""", "workingDirectory" },
        { "session/create", """{"workingDirectory":"/tmp\u0000/x"}""", "workingDirectory" },
        { "session/create", """{"workingDirectory":"/tmp","prompt":""}""", "prompt" },
        { "session/create", """{"workingDirectory":"/tmp","permissionMode":"yolo"}""", "permissionMode" },
        { "session/create", """{"workingDirectory":"/tmp","model":"--dangerously-skip-permissions"}""", "model" },
        { "session/create", """{"workingDirectory":"/tmp","userId":""}""", "userId" },
        { "session/resume", """{"prompt":"hi"}""", "sessionId" },
        { "session/resume", """{"sessionId":"../../etc/passwd","prompt":"hi"}""", "sessionId" },
        { "session/resume", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b/../x","prompt":"hi"}""", "sessionId" },
        { "session/resume", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b"}""", "prompt" },
        { "session/status", """{"sessionId":"not-a-uuid"}""", "sessionId" },
        { "session/status", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","workingDirectory":"x"}""", "workingDirectory" },
        { "session/listResumable", """{"limit":0}""", "limit" },
        { "session/listResumable", """{"limit":1001}""", "limit" },
        { "session/list", """{"limit":10001}""", "limit" },
        { "session/cancel", """{"sessionId":"x"}""", "sessionId" },
        { "session/info", """{}""", "sessionId" },
        { "session/messages", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","offset":-1}""", "offset" },
        { "session/messages", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","limit":0}""", "limit" },
        { "session/fork", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","upToMessageId":"../x"}""", "upToMessageId" },
        { "session/fork", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","prompt":""}""", "prompt" },
        { "session/delete", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","workingDirectory":"rel"}""", "workingDirectory" },
        { "session/archive", """{"sessionId":"x"}""", "sessionId" },
        { "session/tag", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b"}""", "tag" },
        { "session/list", """{"limit":0}""", "limit" },
        { "session/list", """{"cursor":""}""", "cursor" },
        // A cursor of the right form whose id is an object, not a string.
        { "session/list", $$"""{"cursor":"{{Convert.ToBase64String("{\"t\":1,\"id\":{}}"u8)}}"}""", "cursor" },
        { "session/list", $$"""{"cursor":"{{Convert.ToBase64String("{\"t\":99999999999999999999,\"id\":\"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b\"}"u8)}}"}""", "cursor" },
        { "session/listResumable", """{"workingDirectory":"./here"}""", "workingDirectory" },
        { "session/prepare", """{}""", "workingDirectory" },
        { "session/prepare", """{"workingDirectory":"rel"}""", "workingDirectory" },
        { "session/prepare", """{"workingDirectory":"/no/such/folder/anywhere"}""", "workingDirectory" },
        { "session/prepare", """{"workingDirectory":"/tmp","permissionMode":"yolo"}""", "permissionMode" },
        { "session/prepare", """{"workingDirectory":"/tmp","model":"--help"}""", "model" },
        { "session/prepare", """{"workingDirectory":"/tmp","includePartialMessages":"yes"}""", "includePartialMessages" },
        { "session/create", """{"workingDirectory":"/tmp","title":" \t\n "}""", "title" },
        { "session/fork", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","title":"   "}""", "title" },
        { "session/rename", """{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","title":"   "}""", "title" },
        { "session/rename", $$"""{"sessionId":"5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b","title":"{{new string('x', 1001)}}"}""", "title" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_params_get_invalid_params_naming_the_parameter(string method, string parameters, string parameter)
    {
        if (parameters.Contains("\"/tmp\"", StringComparison.Ordinal))
        {
            parameters = parameters.Replace("\"/tmp\"", JsonString(environment.Workspace), StringComparison.Ordinal);
        }

        var error = await ErrorOfAsync(method, (JObject)TranscriptLines.Parse(parameters));

        Assert.Equal(-32602, (int?)error["code"]);
        Assert.Equal(parameter, (string?)error["data"]!["parameter"]);
        Assert.Equal("invalid_params", (string?)error["data"]!["reason"]);
        await AssertStillServingAsync();
    }

    public static TheoryData<string, string> WrongTypes() => new()
    {
        { "session/listResumable", """{"limit":"ten"}""" },
        { "session/listResumable", """{"includeExternal":"yes"}""" },
        { "session/create", """{"workingDirectory":42}""" },
        { "session/create", """{"workingDirectory":"/tmp","prompt":["a"]}""" },
        { "session/listResumable", """{"limit":1.5}""" },
        { "session/listResumable", """{"limit":99999999999}""" },
        { "session/listResumable", """[1, 2]""" },
        { "initialize", """{"clientInfo":{"name":7}}""" },
        { "session/resume", """{"sessionId":{"a":1},"prompt":"x"}""" },
        { "session/status", """{"sessionId":["5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b"]}""" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Wrong_types_get_invalid_params(string method, string parameters)
    {
        var error = await ErrorOfAsync(method, TranscriptLines.Parse(parameters.Replace("\"/tmp\"", JsonString(environment.Workspace), StringComparison.Ordinal)));

        Assert.Equal(-32602, (int?)error["code"]);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("session/create")]
    [InlineData("session/resume")]
    [InlineData("session/status")]
    public async Task Missing_params_get_invalid_params(string method)
    {
        var error = await ErrorOfAsync(method, null);

        Assert.Equal(-32602, (int?)error["code"]);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_title_is_measured_after_trimming()
    {
        var error = await ErrorOfAsync("session/rename", new JObject { ["sessionId"] = "5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b", ["title"] = "  " + new string('x', 1000) + "  " });

        Assert.Equal(-31005, (int?)error["code"]);
        await AssertStillServingAsync();
    }

    /// <summary>
    /// Length limits count Unicode code points: an emoji (two UTF-16 units) is one character, so a value of exactly
    /// the limit in emoji passes the check (the request then fails on the unknown session: the check let it through),
    /// and one more is -32602 naming the parameter.
    /// </summary>
    [Theory]
    [InlineData("session/rename", "title", 1000, -31005)]
    [InlineData("session/fork", "title", 1000, -31005)]
    [InlineData("session/tag", "tag", 200, -31005)]
    [InlineData("session/resume", "model", 200, -31001)]
    [InlineData("session/resume", "userId", 200, -31001)]
    [InlineData("session/info", "userId", 200, -31005)]
    public async Task A_limit_counts_an_emoji_as_one_character(string method, string parameter, int limit, int codeAtTheLimit)
    {
        const string Emoji = "\U0001F600";
        JObject Request(int characters) => new()
        {
            ["sessionId"] = "5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b",
            ["prompt"] = "hi",
            [parameter] = string.Concat(Enumerable.Repeat(Emoji, characters)),
        };

        var atTheLimit = await ErrorOfAsync(method, Request(limit));
        Assert.Equal(codeAtTheLimit, (int?)atTheLimit["code"]);

        var overTheLimit = await ErrorOfAsync(method, Request(limit + 1));
        Assert.Equal(-32602, (int?)overTheLimit["code"]);
        Assert.Equal(parameter, (string?)overTheLimit["data"]!["parameter"]);

        // limit - 1 letters and an emoji: limit characters but limit + 1 UTF-16 units, which a count of units refused.
        var mixed = await ErrorOfAsync(method, new JObject(Request(limit)) { [parameter] = new string('x', limit - 1) + Emoji });
        Assert.Equal(codeAtTheLimit, (int?)mixed["code"]);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_unknown_method_gets_method_not_found()
    {
        var error = await ErrorOfAsync("session/teleport", new JObject());

        Assert.Equal(-32601, (int?)error["code"]);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Shutdown_twice_is_harmless_and_answers_null()
    {
        foreach (var _ in new[] { 1, 2 })
        {
            var answer = await client.RequestAsync("shutdown");
            Assert.True(answer.ContainsKey("result"), answer.ToString());
            Assert.Equal(JTokenType.Null, answer["result"]!.Type);
        }

        var refused = await ErrorOfAsync("session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "late" });
        Assert.Equal(-32600, (int?)refused["code"]);
        Assert.Equal("shutting_down", (string?)refused["data"]!["reason"]);

        // A spare CLI only serves a turn, and a fork with a prompt is refused before its copy is made.
        foreach (var (method, parameters) in new[]
        {
            ("session/prepare", new JObject { ["workingDirectory"] = environment.Workspace }),
            ("session/fork", new JObject { ["sessionId"] = Guid.NewGuid().ToString(), ["prompt"] = "late" }),
        })
        {
            var late = await ErrorOfAsync(method, parameters);
            Assert.Equal(-32600, (int?)late["code"]);
            Assert.Equal("shutting_down", (string?)late["data"]!["reason"]);
        }

        // Everything else still answers.
        var listing = await client.RequestAsync("session/list", new JObject { ["workingDirectory"] = environment.Workspace });
        Assert.NotNull(listing["result"]?["sessions"]);
    }

    private async Task<JObject> ErrorOfAsync(string method, JToken? parameters)
    {
        var response = await client.RequestAsync(method, parameters);
        output.WriteLine(response.ToString(Newtonsoft.Json.Formatting.None));
        return Assert.IsType<JObject>(response["error"]);
    }

    private async Task AssertStillServingAsync()
    {
        var answer = await client.RequestAsync("initialize", new JObject());
        Assert.Equal("ClaudeSessionSidecar", (string?)answer["result"]!["serverInfo"]!["name"]);
    }

    private static string JsonString(string value) => new JValue(value).ToString(Newtonsoft.Json.Formatting.None);
}
