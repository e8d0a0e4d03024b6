using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>
/// Responses that answer no request of the server awaiting one (an id it never asked under, an id null, a second
/// answer to a permission question) are logged and dropped: the server goes on, over real stdio, and a turn running
/// meanwhile (the real CLI asking for the Write tool) completes and is answered.
/// </summary>
public sealed class StrayResponseTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    public static TheoryData<string> StrayResponses() => new()
    {
        """{"jsonrpc":"2.0","id":99,"result":null}""",
        """{"jsonrpc":"2.0","id":"never-asked","result":{"allow":true}}""",
        """{"jsonrpc":"2.0","id":99,"error":{"code":-32601,"message":"Method not found"}}""",
        """{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}""",
        """{"jsonrpc":"2.0","result":{}}""",
    };

    [Theory]
    [MemberData(nameof(StrayResponses))]
    public async Task A_response_to_no_request_of_the_server_is_ignored_and_the_server_answers_on(string stray)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var log = Path.Combine(environment.Root, "server.log");
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline", "--log-file", log]);
        var client = server.RawClient();

        await client.WriteLineAsync(stray);
        var first = await client.RequestAsync("initialize", new JObject()).WaitAsync(Within);
        await client.WriteLineAsync(stray);
        var status = await client.RequestAsync("session/status", new JObject { ["sessionId"] = Guid.NewGuid().ToString() }).WaitAsync(Within);

        Assert.NotNull(first["result"]);
        Assert.Equal("metadata_not_found", (string?)status["result"]!["reason"]);
        Assert.False(server.Process.HasExited);
        Assert.Equal(2, File.ReadAllLines(log).Count(line => line.Contains("Ignored a response", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_huge_stray_response_is_logged_cut_short()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var log = Path.Combine(environment.Root, "server.log");
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline", "--log-file", log]);
        var client = server.RawClient();
        var marker = new string('x', 2 * 1024 * 1024);

        await client.WriteLineAsync(new JObject { ["jsonrpc"] = "2.0", ["id"] = 7, ["result"] = new JObject { ["text"] = marker } }.ToString(Formatting.None));
        Assert.NotNull((await client.RequestAsync("initialize", new JObject()).WaitAsync(Within))["result"]);

        var warning = Assert.Single(File.ReadAllLines(log), line => line.Contains("Ignored a response", StringComparison.Ordinal));
        output.WriteLine(warning);
        Assert.InRange(warning.Length, 1, 500);
        Assert.Contains("\"id\":7", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_answer_to_a_permission_request_is_ignored_and_the_turn_completes_and_an_unreadable_one_is_refused()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "answered-twice.txt");
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"]);
        var client = server.RawClient();

        var create = new JObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = "turn",
            ["method"] = "session/create",
            ["params"] = new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = $"[write:{target}]" },
        };
        await client.WriteLineAsync(create.ToString(Formatting.None));
        var questions = 0;
        var refusals = 0;
        JObject answer;
        while (true)
        {
            var message = await client.ReadMessageAsync().WaitAsync(Within);
            if ((string?)message["method"] == "session/requestPermission")
            {
                questions++;

                // An answer the formatter cannot read is refused (-32600) and the question still waits for a good one.
                await client.WriteLineAsync(new JObject { ["jsonrpc"] = "2.0", ["id"] = message["id"]!.DeepClone(), ["error"] = 5 }.ToString(Formatting.None));
                await client.WriteLineAsync(Answer(true));

                // The same answer again, then a change of mind, then an answer under an id never asked.
                await client.WriteLineAsync(Answer(true));
                await client.WriteLineAsync(Answer(false));
                await client.WriteLineAsync(new JObject { ["jsonrpc"] = "2.0", ["id"] = 4242, ["result"] = new JObject { ["allow"] = false } }.ToString(Formatting.None));

                string Answer(bool allow) => new JObject { ["jsonrpc"] = "2.0", ["id"] = message["id"]!.DeepClone(), ["result"] = new JObject { ["allow"] = allow } }.ToString(Formatting.None);
            }
            else if (message["method"] is null && message["error"] is { } refused && (string?)message["id"] != "turn")
            {
                Assert.Equal(-32600, (int?)refused["code"]);
                refusals++;
            }
            else if ((string?)message["id"] == "turn" && message["method"] is null)
            {
                answer = message;
                break;
            }
        }

        Assert.Equal(1, questions);
        Assert.Equal(1, refusals);
        Assert.Equal("success", (string?)answer["result"]!["result"]!["subtype"]);
        Assert.NotEqual(true, (bool?)answer["result"]!["result"]!["cancelled"]);
        Assert.Equal("written by the fake model", File.ReadAllText(target));
        Assert.NotNull((await client.RequestAsync("initialize", new JObject()).WaitAsync(Within))["result"]);
        Assert.False(server.Process.HasExited);
    }
}
