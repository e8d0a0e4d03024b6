using ClaudeSessionSidecar.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>Servers killed with SIGKILL, with the real CLI: no session lost, no lock left behind, the store intact.</summary>
public sealed class ProcessFaultTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Killing_the_server_mid_turn_frees_the_lock_the_orphaned_CLI_finishes_and_the_session_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        string sessionId;
        await using (var doomed = ServerProcess.Start(environment, output))
        {
            sessionId = (string)(await doomed.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "before the crash" }))["sessionId"]!;
            var before = doomed.Messages.Count;
            _ = doomed.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:2000] during the crash" });
            await Polling.WaitUntilAsync(() => doomed.Messages.Count > before, TimeSpan.FromSeconds(60), "the resumed turn's first message");

            doomed.Process.Kill(entireProcessTree: false);
            await doomed.Process.WaitForExitAsync();
        }

        // The orphaned CLI goes on with its turn: wait until its answer is in the transcript, then resume from a new server.
        await using var survivor = ServerProcess.Start(environment, output);
        var transcript = (string)(await survivor.InvokeAsync("session/status", new { sessionId }))["filePath"]!;
        var reply = FakeMessagesApi.ReplyTo("[slow:2000] during the crash");
        await Polling.WaitUntilAsync(() => File.ReadAllText(transcript).Contains(reply, StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the orphaned CLI's answer in the transcript");

        var resumed = await survivor.InvokeAsync("session/resume", new { sessionId, prompt = "after the crash" });

        Assert.Equal(FakeMessagesApi.ReplyTo("after the crash"), (string?)resumed["result"]!["text"]);
        var request = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "after the crash");
        Assert.Contains("before the crash", FakeMessagesApi.TextsOf(request));
        Assert.Contains("[slow:2000] during the crash", FakeMessagesApi.TextsOf(request));
        AssertStoreIntact(environment);
    }

    internal static void AssertStoreIntact(TestEnvironment environment)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(environment.StoreDirectory, "sessions.db")};Pooling=False");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", (string)check.ExecuteScalar()!);
    }
}
