using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Sessions;

/// <summary>
/// A face that chooses a new session's id up front (ACP's <c>session/new</c>): the spare prepared with that id runs
/// the create, the session takes the id, and an id that is taken or not a UUID is refused; and its MCP servers
/// (<c>--mcp-config</c>), which a live process must match to be reused. The CLI processes are found
/// by their arguments in /proc, so tests running beside these cannot confuse them.
/// </summary>
public sealed class ChosenSessionIdTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_create_naming_the_id_of_a_prepared_spare_runs_in_that_spare_and_the_session_takes_the_id()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var sessions = EngineFactory.Sessions(environment, output);
        var sessionId = Guid.NewGuid().ToString();

        Assert.True(await sessions.Turns.PrepareAsync(environment.Workspace, model: null, permissionMode: null, includePartialMessages: true, sessionId));
        var spare = Assert.Single(ProcessesStartedWith(sessionId));

        var observer = new RecordingObserver();
        var turn = await sessions.Turns.CreateAsync(
            new CreateSessionRequest(environment.Workspace, "with a chosen id", Environment.UserName, IncludePartialMessages: true, SessionId: sessionId), observer, CancellationToken.None);

        Assert.Equal(sessionId, turn.SessionId);
        Assert.Equal(sessionId, observer.AnnouncedSessionId);
        Assert.True(turn.Status.Resumable);
        Assert.EndsWith($"{sessionId}.jsonl", turn.Status.FilePath);
        Assert.Equal([spare], ProcessesStartedWith(sessionId));
    }

    [Fact]
    public async Task A_create_naming_another_id_leaves_the_spare_alone_and_close_ends_a_spare_that_never_ran()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var sessions = EngineFactory.Sessions(environment, output);
        var prepared = Guid.NewGuid().ToString();
        var other = Guid.NewGuid().ToString();
        await sessions.Turns.PrepareAsync(environment.Workspace, model: null, permissionMode: null, includePartialMessages: true, prepared);
        var spare = Assert.Single(ProcessesStartedWith(prepared));

        var turn = await sessions.Turns.CreateAsync(
            new CreateSessionRequest(environment.Workspace, "another id", Environment.UserName, IncludePartialMessages: true, SessionId: other), new RecordingObserver(), CancellationToken.None);

        Assert.Equal(other, turn.SessionId);
        Assert.Equal([spare], ProcessesStartedWith(prepared));

        await sessions.Turns.CloseAsync(prepared);
        await Polling.WaitUntilAsync(() => ProcessesStartedWith(prepared).Count == 0, Within, "the closed spare to exit");
        Assert.Equal(Engine.Resumability.NotResumableReason.MetadataNotFound, sessions.Catalog.GetStatus(prepared, Environment.UserName, workingDirectory: null).Reason);
    }

    [Fact]
    public async Task A_create_naming_no_id_never_takes_a_spare_reserved_for_an_id()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var sessions = EngineFactory.Sessions(environment, output);
        var reserved = Guid.NewGuid().ToString();
        await sessions.Turns.PrepareAsync(environment.Workspace, model: null, permissionMode: null, includePartialMessages: false, reserved);
        var spare = Assert.Single(ProcessesStartedWith(reserved));

        var unnamed = await sessions.Turns.CreateAsync(new CreateSessionRequest(environment.Workspace, "no id named", Environment.UserName), new RecordingObserver(), CancellationToken.None);

        Assert.NotEqual(reserved, unnamed.SessionId);
        Assert.Equal([spare], ProcessesStartedWith(reserved));
        var named = await sessions.Turns.CreateAsync(new CreateSessionRequest(environment.Workspace, "the reserved id", Environment.UserName, SessionId: reserved), new RecordingObserver(), CancellationToken.None);
        Assert.Equal(reserved, named.SessionId);
        Assert.Equal([spare], ProcessesStartedWith(reserved));
    }

    [Fact]
    public async Task An_id_that_is_taken_or_not_a_UUID_is_refused_before_any_CLI_starts()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var sessions = EngineFactory.Sessions(environment, output);
        var existing = await sessions.Turns.CreateAsync(new CreateSessionRequest(environment.Workspace, "first", Environment.UserName), new RecordingObserver(), CancellationToken.None);
        var running = ProcessesStartedWith(existing.SessionId);

        var taken = await Assert.ThrowsAsync<InvalidSessionRequestException>(() =>
            sessions.Turns.CreateAsync(new CreateSessionRequest(environment.Workspace, "again", Environment.UserName, SessionId: existing.SessionId), new RecordingObserver(), CancellationToken.None));
        Assert.Equal("sessionId", taken.Parameter);
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() =>
            sessions.Turns.PrepareAsync(environment.Workspace, null, null, includePartialMessages: false, existing.SessionId));
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() =>
            sessions.Turns.CreateAsync(new CreateSessionRequest(environment.Workspace, "bad id", Environment.UserName, SessionId: "../../etc"), new RecordingObserver(), CancellationToken.None));
        Assert.Equal(running, ProcessesStartedWith(existing.SessionId));
    }

    [Fact]
    public async Task A_live_process_is_reused_only_for_the_MCP_servers_it_was_started_with()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var sessions = EngineFactory.Sessions(environment, output);
        var sessionId = Guid.NewGuid().ToString();
        const string noServers = """{"mcpServers":{}}""";
        await sessions.Turns.CreateAsync(new CreateSessionRequest(environment.Workspace, "one", Environment.UserName, SessionId: sessionId), new RecordingObserver(), CancellationToken.None);
        var first = Assert.Single(ProcessesStartedWith(sessionId));

        await sessions.Turns.ResumeAsync(new ResumeSessionRequest(sessionId, "two", Environment.UserName), new RecordingObserver(), CancellationToken.None);
        Assert.Equal([first], ProcessesStartedWith(sessionId));
        Assert.Empty(ProcessesStartedWith(sessionId, "--resume"));

        await sessions.Turns.ResumeAsync(new ResumeSessionRequest(sessionId, "three", Environment.UserName, McpConfig: noServers), new RecordingObserver(), CancellationToken.None);
        await Polling.WaitUntilAsync(() => ProcessesStartedWith(sessionId).Count == 0, Within, "the process with other MCP servers to be closed");
        var resumed = Assert.Single(ProcessesStartedWith(sessionId, "--resume"));
        Assert.Equal([resumed], ProcessesStartedWith(noServers, "--mcp-config").Intersect([resumed]));
    }

    /// <summary>The running processes whose command line has <paramref name="flag"/> followed by <paramref name="value"/>.</summary>
    private static List<int> ProcessesStartedWith(string value, string flag = "--session-id")
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                var state = File.ReadAllText(Path.Combine(directory, "stat"));
                var zombie = state[(state.LastIndexOf(')') + 2)..].StartsWith('Z');
                if (!zombie && arguments.Zip(arguments.Skip(1)).Any(pair => pair.First == flag && pair.Second == value))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }
}
