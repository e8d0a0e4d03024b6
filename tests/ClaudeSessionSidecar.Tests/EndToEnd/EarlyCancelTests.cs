using System.Diagnostics;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// A cancel at any moment of a turn stops it, with the real CLI and a model slow enough that a cancel which does
/// nothing cannot pass: from the instant the request is sent (the CLI not yet started) to after its <c>init</c>.
/// </summary>
public sealed class EarlyCancelTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    /// <summary>The model takes this long; a turn that was not stopped answers only after it.</summary>
    private const int ModelDelayMs = 30_000;

    /// <summary>
    /// How long after the CLI can take the interrupt (its <c>init</c>, or the cancel if later) the answer may come.
    /// Measured: 0.02 to 0.12 s. The bound leaves room for a loaded machine, and is well below what a stop that
    /// falls back on closing stdin and signals takes (about 4 s and more after <c>init</c>), let alone the model's delay.
    /// </summary>
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(2.5);

    /// <summary>-1: right after the turn's <c>init</c> reaches the client.</summary>
    public const int AfterInit = -1;

    public static TheoryData<string, string, int> Cases()
    {
        var cases = new TheoryData<string, string, int>();
        foreach (var delay in new[] { 0, 50, 200, 400, 600, 800, AfterInit })
        {
            cases.Add("session/create", "$/cancelRequest", delay);
            cases.Add("session/resume", "$/cancelRequest", delay);
            cases.Add("session/resume", "session/cancel", delay);
        }

        // A create's id is known to the client only from its init on.
        cases.Add("session/create", "session/cancel", AfterInit);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_cancel_at_any_moment_stops_the_turn_and_the_session_resumes(string method, string via, int delayMs)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);

        // A resume in a new process: the window before the CLI is up (a live process is up already; see LiveSessionTests).
        await using var server = ServerProcess.Start(environment, output, extraArguments: ["--live-sessions", "0"]);
        string? sessionId = null;
        if (method == "session/resume")
        {
            sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "first" }))["sessionId"]!;
        }

        var messagesBefore = server.Messages.Count;
        using var cancelRequest = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var prompt = $"[slow:{ModelDelayMs}] cancel me";
        var turn = method == "session/create"
            ? server.InvokeAsync(method, new { workingDirectory = environment.Workspace, prompt }, cancelRequest.Token)
            : server.InvokeAsync(method, new { sessionId, prompt }, cancelRequest.Token);

        var initSeen = WhenInitSeenAsync(server, messagesBefore, clock);
        if (delayMs == AfterInit)
        {
            await initSeen;
            sessionId ??= (string?)InitOf(server, messagesBefore)!["sessionId"];
        }
        else
        {
            await Task.Delay(delayMs);
        }

        var cancelledAt = clock.Elapsed;
        if (via == "session/cancel")
        {
            Assert.True((bool)(await server.InvokeAsync("session/cancel", new { sessionId }))["cancelled"]!);
        }
        else
        {
            await cancelRequest.CancelAsync();
        }

        var answer = (JObject)await turn.WaitAsync(TimeSpan.FromSeconds(ModelDelayMs / 1000 * 2));
        var answeredAt = clock.Elapsed;
        var initAt = await initSeen;
        output.WriteLine($"{method} via {via} at {delayMs} ms: cancel sent {cancelledAt.TotalMilliseconds:0} ms, init {initAt.TotalMilliseconds:0} ms, answer {answeredAt.TotalMilliseconds:0} ms");

        var result = answer["result"]!;
        Assert.True((bool?)result["cancelled"], answer.ToString());
        Assert.Equal("error_during_execution", (string?)result["subtype"]);
        Assert.True((bool)result["isError"]!);
        Assert.DoesNotContain(server.Messages.Skip(messagesBefore), m => ((string?)m["message"]!["result"] ?? string.Empty).Contains("reply to:", StringComparison.Ordinal));

        // The answer came soon after the CLI could take the interrupt, never after the model's reply would have.
        var ableToStop = initAt > cancelledAt ? initAt : cancelledAt;
        Assert.True(answeredAt - ableToStop < AnswerBound, $"answered {answeredAt.TotalMilliseconds:0} ms, cancel {cancelledAt.TotalMilliseconds:0} ms, init {initAt.TotalMilliseconds:0} ms");

        // The session stays resumable: by the judge, and by the bare CLI's --resume.
        sessionId = (string)answer["sessionId"]!;
        Assert.True((bool)answer["status"]!["resumable"]!, answer.ToString());
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "after the cancel" });
        Assert.Equal(FakeMessagesApi.ReplyTo("after the cancel"), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task A_cancel_that_arrives_once_the_turn_has_its_answer_is_not_reported_as_a_cancel()
    {
        // The real CLI always honours an interrupt before its result, so a CLI that finishes anyway is scripted:
        // it announces the session, ignores stdin, and succeeds two seconds later.
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\nsleep 2\necho '{ScriptedCli.Result}'\ncat >/dev/null");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);
        using var cancelRequest = new CancellationTokenSource();

        var turn = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" }, cancelRequest.Token);
        await server.FirstSessionId.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancelRequest.CancelAsync();
        var answer = await turn.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("success", (string?)answer["result"]!["subtype"]);
        Assert.Equal("scripted", (string?)answer["result"]!["text"]);
        Assert.Null(answer["result"]!["cancelled"]);
    }

    /// <summary>When the turn's <c>init</c> reached the client: the CLI is up and can take an interrupt from then on.</summary>
    private static async Task<TimeSpan> WhenInitSeenAsync(ServerProcess server, int messagesBefore, Stopwatch clock)
    {
        await Polling.WaitUntilAsync(() => InitOf(server, messagesBefore) is not null, TimeSpan.FromSeconds(60), "the turn's init");
        return clock.Elapsed;
    }

    private static JObject? InitOf(ServerProcess server, int messagesBefore) => server.Messages
        .Skip(messagesBefore)
        .FirstOrDefault(m => (string?)m["message"]!["type"] == "system" && (string?)m["message"]!["subtype"] == "init");
}
