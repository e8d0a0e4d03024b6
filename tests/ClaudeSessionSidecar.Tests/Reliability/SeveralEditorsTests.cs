using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Tests.EndToEnd;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Reliability;

/// <summary>
/// Several server processes on one store, as when VS Code and Neovim are open at once. The CLI here is a scripted
/// one that announces a fresh session at once: a hundred real CLIs at once would measure the machine, not the store.
/// </summary>
public sealed class SeveralEditorsTests(ITestOutputHelper output)
{
    /// <summary>A CLI that announces a new random session and answers at once (or, for --version, prints one).</summary>
    private static string FastCli(TestEnvironment environment) => ScriptedCli.Write(environment, "claude", """
        id=$(cat /proc/sys/kernel/random/uuid)
        echo "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$id\",\"cwd\":\"$PWD\"}"
        echo "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"ok\",\"session_id\":\"$id\",\"num_turns\":1,\"duration_ms\":1,\"total_cost_usd\":0}"
        read -r _
        exit 0
        """);

    [Fact]
    public async Task Four_servers_times_25_creates_at_once_keep_100_records_each_visible_to_its_user_only()
    {
        using var environment = new TestEnvironment();
        var cli = FastCli(environment);
        var servers = Enumerable.Range(0, 4).Select(_ => ServerProcess.Start(environment, null, claudePath: cli)).ToList();
        try
        {
            var creates = servers.SelectMany((server, s) => Enumerable.Range(0, 25).Select(i =>
                server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"server {s} create {i}", userId = i % 2 == 0 ? "ann" : "ben" })));
            var created = await Task.WhenAll(creates);
            var ids = created.Select(c => (string)c["sessionId"]!).ToList();

            Assert.Equal(100, ids.Distinct().Count());
            var stored = SessionStore.Open(environment.StoreDirectory).AllSessionIds();
            Assert.Equal(ids.Order(), stored.Order());

            foreach (var server in servers)
            {
                var anns = (await server.InvokeAsync("session/list", new { userId = "ann", limit = 1000 }))["sessions"]!.Select(s => (string)s["sessionId"]!).ToList();
                var bens = (await server.InvokeAsync("session/list", new { userId = "ben", limit = 1000 }))["sessions"]!.Select(s => (string)s["sessionId"]!).ToList();
                Assert.Equal(52, anns.Count);
                Assert.Equal(48, bens.Count);
                Assert.Empty(anns.Intersect(bens));
                Assert.Empty((await server.InvokeAsync("session/list", new { userId = "cat", limit = 1000 }))["sessions"]!);
            }

            ProcessFaultTests.AssertStoreIntact(environment);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Killing_a_server_during_store_writes_leaves_no_partial_record_and_a_clean_store()
    {
        using var environment = new TestEnvironment();
        var cli = FastCli(environment);
        var server = ServerProcess.Start(environment, output, claudePath: cli);
        var creates = Enumerable.Range(0, 200).Select(i => server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"create {i}" })).ToList();
        await Polling.WaitUntilAsync(() => SessionStore.Open(environment.StoreDirectory).AllSessionIds().Count >= 20, TimeSpan.FromSeconds(120), "20 sessions in the store");

        server.Process.Kill(entireProcessTree: false);
        await server.Process.WaitForExitAsync();
        await Task.WhenAll(creates.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));
        await server.DisposeAsync();

        ProcessFaultTests.AssertStoreIntact(environment);
        var store = SessionStore.Open(environment.StoreDirectory);
        var ids = store.AllSessionIds();
        output.WriteLine($"{ids.Count} records written before the kill");
        Assert.All(ids, id =>
        {
            var record = store.Get(id)!;
            Assert.Equal(environment.Workspace, record.WorkingDirectory);
            Assert.StartsWith("create ", record.FirstPrompt, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(record.UserId));
        });

        // And a new server opens it and writes on.
        await using var next = ServerProcess.Start(environment, output, claudePath: cli);
        var created = await next.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "after" });
        Assert.Contains((string)created["sessionId"]!, SessionStore.Open(environment.StoreDirectory).AllSessionIds());
    }
}
