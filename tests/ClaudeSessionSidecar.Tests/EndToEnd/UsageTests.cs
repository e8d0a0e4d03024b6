using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// What each session used: its tokens as ccusage (the oracle folder's pinned version, run on the same config folder)
/// counts them, and the CLI's own cost of the turns run through the server, in every view.
/// </summary>
public sealed class UsageTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Every_view_carries_the_tokens_ccusage_counts_and_the_CLIs_cost_as_of_the_last_turn_run_here()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "[usage:1200,340,50,7000] first" });
        var sessionId = (string)created["sessionId"]!;
        await server.InvokeAsync("session/resume", new { sessionId, prompt = "[usage:30,7,0,9000] second" });
        var last = await server.InvokeAsync("session/resume", new { sessionId, prompt = "[write:notes.txt] a tool call, two API messages" });
        var bare = await EngineFactory.RunTurnAsync(environment, environment.Workspace, "[usage:5,6,7,8] by the bare CLI", output: output);

        var ccusage = await SdkOracle.CcusageSessionsAsync(environment);
        output.WriteLine(string.Join("\n", ccusage.Values.Select(session => session.ToString(Newtonsoft.Json.Formatting.None))));
        Assert.Equal(new[] { sessionId, bare.SessionId }.Order(), ccusage.Keys.Order());

        // The figures the fake API gave are in: each API message once, though the CLI wrote each of the two-block ones over two lines.
        var transcript = File.ReadAllLines(Directory.GetFiles(environment.ProjectsDirectory, sessionId + ".jsonl", SearchOption.AllDirectories).Single());
        Assert.True(transcript.Count(line => line.Contains("\"type\":\"assistant\"", StringComparison.Ordinal) && line.Contains("\"input_tokens\":1200", StringComparison.Ordinal)) >= 2);
        var ours = await ViewAsync(server, "session/info", new { sessionId });
        Assert.Equal(1200 + 30 + 10 + 10, (long)ours["usage"]!["inputTokens"]!);
        Assert.Equal(7000 + 9000, (long)ours["usage"]!["cacheReadInputTokens"]!);
        Assert.Equal(50, (long)ours["usage"]!["cacheCreationInputTokens"]!);

        var listed = (await server.InvokeAsync("session/list", new { workingDirectory = environment.Workspace, includeExternal = true }))["sessions"]!.ToList();
        var resumable = (await server.InvokeAsync("session/listResumable", new { workingDirectory = environment.Workspace, includeExternal = true }))["sessions"]!.ToList();
        var found = (await server.InvokeAsync("session/search", new { query = "first", workingDirectory = environment.Workspace }))["sessions"]!.ToList();
        foreach (var (method, views) in new[] { ("session/list", listed), ("session/listResumable", resumable), ("session/search", found) })
        {
            foreach (var view in views)
            {
                var id = (string)view["sessionId"]!;
                AssertSameUsage(ccusage[id], view["usage"], $"{method} {id}");
            }
        }

        Assert.Equal(2, listed.Count);
        AssertSameUsage(ccusage[sessionId], ours["usage"], "session/info");
        AssertSameUsage(ccusage[bare.SessionId], (await ViewAsync(server, "session/info", new { sessionId = bare.SessionId, workingDirectory = environment.Workspace }))["usage"], "session/info of the bare CLI's");

        // The cost is the CLI's own running total as of the last turn run here (a live process's results are cumulative,
        // and the CLI restores the total on resume): not a sum of the turns' figures, and absent for the bare CLI's session.
        var cost = (double)last["result"]!["totalCostUsd"]!;
        Assert.True(cost > 0);
        foreach (var view in listed.Concat(resumable).Concat(found).Append(ours).Where(view => (string?)view["sessionId"] == sessionId))
        {
            Assert.Equal(cost, (double)view["costUsd"]!);
        }

        Assert.All(listed.Concat(resumable).Where(view => (string?)view["sessionId"] == bare.SessionId), view => Assert.Null(view["costUsd"]));
        var costState = transcript.Where(line => line.Contains("\"type\":\"cost-state\"", StringComparison.Ordinal)).Select(line => (double)TranscriptLines.Parse(line)["totalCostUSD"]!).ToList();
        output.WriteLine($"cost: {cost}; the transcript's cost-state lines: {string.Join(", ", costState)}");

        // Kept in the store: a new server process shows the same, and a turn the bare CLI runs changes the tokens, not the cost.
        await server.DisposeAsync();
        await EngineFactory.RunTurnAsync(environment, environment.Workspace, "[usage:100,1,0,0] the bare CLI goes on", resume: sessionId, output: output);
        await using var again = ServerProcess.Start(environment, output);
        var after = await ViewAsync(again, "session/info", new { sessionId });
        AssertSameUsage((await SdkOracle.CcusageSessionsAsync(environment))[sessionId], after["usage"], "after the bare CLI's turn");
        Assert.Equal(1200 + 30 + 10 + 10 + 100, (long)after["usage"]!["inputTokens"]!);
        Assert.Equal(cost, (double)after["costUsd"]!);
    }

    [Fact]
    public async Task Crafted_transcripts_are_counted_as_ccusage_counts_them()
    {
        using var environment = new TestEnvironment();
        var project = Directory.CreateDirectory(Path.Combine(environment.ProjectsDirectory, "-crafted")).FullName;
        static string Line(string? id, string? requestId, JToken? usage, string? timestamp = "2026-12-01T10:00:00.000Z", string type = "assistant", string content = "hi")
        {
            var message = new JObject { ["role"] = type, ["content"] = new JArray(new JObject { ["type"] = "text", ["text"] = content }) };
            if (id is not null)
            {
                message["id"] = id;
            }

            if (usage is not null)
            {
                message["usage"] = usage;
            }

            var line = new JObject { ["type"] = type, ["uuid"] = Guid.NewGuid().ToString(), ["message"] = message };
            if (timestamp is not null)
            {
                line["timestamp"] = timestamp;
            }

            if (requestId is not null)
            {
                line["requestId"] = requestId;
            }

            return line.ToString(Newtonsoft.Json.Formatting.None);
        }

        static JObject Usage(long input, long output, long cacheCreation = 0, long cacheRead = 0) =>
            new() { ["input_tokens"] = input, ["output_tokens"] = output, ["cache_creation_input_tokens"] = cacheCreation, ["cache_read_input_tokens"] = cacheRead };

        var main = Guid.NewGuid().ToString();
        File.WriteAllLines(Path.Combine(project, main + ".jsonl"),
        [
            Line("msg_a", "req_a", Usage(100, 1, 3, 4)),
            Line("msg_a", "req_a", Usage(100, 50, 3, 4)),           // the same message, its usage grown: the larger once
            Line("msg_a", "req_a", Usage(100, 20, 3, 4)),           // a smaller repeat changes nothing
            Line("msg_a", "req_other", Usage(7, 7)),                // another request: another message
            Line("msg_b", null, Usage(11, 1)),
            Line("msg_b", null, Usage(11, 2)),                      // no request id: still the same key
            Line(null, "req_c", Usage(13, 1)),
            Line(null, "req_c", Usage(13, 1)),                      // no message id: every line counts
            Line("msg_d", "req_d", Usage(1000, 1000), timestamp: null),          // no time: not counted
            Line("msg_e", "req_e", Usage(1000, 1000), timestamp: "yesterday"),   // no time either
            Line("msg_f", "req_f", "not an object"),
            Line("msg_g", "req_g", Usage(17, 2), type: "user"),     // the line's type is not looked at
            Line("msg_h", "req_h", new JObject { ["input_tokens"] = 19, ["output_tokens"] = 3, ["cache_read_input_tokens"] = 5, ["cache_creation"] = new JObject { ["ephemeral_5m_input_tokens"] = 6, ["ephemeral_1h_input_tokens"] = 7 } }),
            Line(null, null, null, type: "user", content: "what does the \"usage\":{\"input_tokens\":5} field mean?"),
            Line("msg_i", "req_i", Usage(23, 4), content: new string('x', 3 * 1024 * 1024)),  // a line longer than the reader's buffer
            "{\"type\":\"assistant\",\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"message\":{\"id\":\"msg_torn\",\"usage\":{\"input_tokens\":500",
        ]);
        var subagents = Directory.CreateDirectory(Path.Combine(project, main, "subagents")).FullName;
        File.WriteAllLines(Path.Combine(subagents, "agent-1.jsonl"),
        [
            Line("msg_a", "req_a", Usage(100, 50, 3, 4)),           // the main file's message again: once in all
            Line("msg_sub", "req_sub", Usage(29, 5, 0, 31)),
        ]);
        var plain = Guid.NewGuid().ToString();
        File.WriteAllText(Path.Combine(project, plain + ".jsonl"), Line("msg_p", "req_p", Usage(37, 6, 0, 41)));   // no final new line

        var ccusage = await SdkOracle.CcusageSessionsAsync(environment);
        output.WriteLine(string.Join("\n", ccusage.Values.Select(session => session.ToString(Newtonsoft.Json.Formatting.None))));
        foreach (var sessionId in new[] { main, plain })
        {
            var path = Path.Combine(project, sessionId + ".jsonl");
            var usage = TranscriptUsage.Read(path);
            AssertSameUsage(ccusage[sessionId], new JObject
            {
                ["inputTokens"] = usage.InputTokens,
                ["outputTokens"] = usage.OutputTokens,
                ["cacheReadInputTokens"] = usage.CacheReadInputTokens,
                ["cacheCreationInputTokens"] = usage.CacheCreationInputTokens,
            }, sessionId);
            Assert.Equal(usage, TranscriptSummary.Read(path).Usage);
        }

        Assert.Equal(new TokenUsage(100 + 7 + 11 + 13 + 13 + 17 + 19 + 23 + 29, 50 + 7 + 2 + 1 + 1 + 2 + 3 + 4 + 5, 3 + 13, 4 + 5 + 31), TranscriptUsage.Read(Path.Combine(project, main + ".jsonl")));
    }

    private static void AssertSameUsage(JObject ccusage, JToken? usage, string what)
    {
        Assert.True(usage is JObject, $"{what}: no usage");
        Assert.Equal(((long)ccusage["inputTokens"]!, (long)ccusage["outputTokens"]!, (long)ccusage["cacheReadTokens"]!, (long)ccusage["cacheCreationTokens"]!),
            ((long)usage!["inputTokens"]!, (long)usage["outputTokens"]!, (long)usage["cacheReadInputTokens"]!, (long)usage["cacheCreationInputTokens"]!));
    }

    private static async Task<JToken> ViewAsync(ServerProcess server, string method, object parameters) => await server.InvokeAsync(method, parameters);
}
