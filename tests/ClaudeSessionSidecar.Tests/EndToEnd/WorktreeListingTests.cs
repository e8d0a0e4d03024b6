using System.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// Listings and search of a folder span its repository's git worktrees, as the official SDK's <c>listSessions({dir})</c>
/// does by default; and they show the transcripts a moved project left in the folder's project folder, which the CLI
/// resumes from there. Real git, the real CLI, the SDK as the oracle.
/// </summary>
public sealed class WorktreeListingTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private static readonly string[] Methods = ["session/list", "session/listResumable", "session/search"];

    [Fact]
    public async Task A_folders_listings_and_search_hold_every_worktrees_sessions_as_the_SDK_lists_them_unless_includeWorktrees_is_false()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var main = environment.Workspace;
        await GitAsync(environment, main, "init", "-q", "-b", "main");
        await GitAsync(environment, main, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first");
        var one = Path.Combine(environment.Root, "wt-one");
        var two = Path.Combine(environment.Root, "wt two");
        await GitAsync(environment, main, "worktree", "add", "-q", "-b", "one", one);
        await GitAsync(environment, main, "worktree", "add", "-q", "-b", "two", two);
        var elsewhere = environment.Create("elsewhere");

        await using var server = ServerProcess.Start(environment, output);
        var inMain = await CreateAsync(server, main, "zebrafish in the main checkout");
        var inOne = await CreateAsync(server, one, "zebrafish in worktree one");
        var inTwo = (await EngineFactory.RunTurnAsync(environment, two, "zebrafish in worktree two, by the bare CLI", output: output)).SessionId!;
        await CreateAsync(server, elsewhere, "zebrafish outside the repository");
        var worktrees = GitWorktrees.Of(RealPath.Resolve(one)!);
        Assert.Equal(RealPath.Resolve(main), worktrees[0]);                        // the main checkout first, then git's order
        Assert.Equal(new[] { one, two }.Select(folder => RealPath.Resolve(folder)).Order(), worktrees.Skip(1).Order());
        Assert.Empty(GitWorktrees.Of(RealPath.Resolve(elsewhere)!));

        foreach (var folder in new[] { main, one })
        {
            var sdk = await SdkIdsAsync(environment, new JObject { ["dir"] = folder });
            Assert.Equal(new[] { inMain, inOne, inTwo }.Order(), sdk);
            foreach (var method in Methods)
            {
                Assert.Equal(sdk, await IdsAsync(server, method, new JObject { ["workingDirectory"] = folder }));
            }
        }

        var alone = await SdkIdsAsync(environment, new JObject { ["dir"] = main, ["includeWorktrees"] = false });
        Assert.Equal([inMain], alone);
        foreach (var method in Methods)
        {
            Assert.Equal(alone, await IdsAsync(server, method, new JObject { ["workingDirectory"] = main, ["includeWorktrees"] = false }));
            Assert.Equal([inTwo], await IdsAsync(server, method, new JObject { ["workingDirectory"] = two, ["includeWorktrees"] = false }));
        }

        // Each session keeps its own folder and status; the worktree's bare session resumes where it ran.
        var views = (await server.InvokeAsync("session/list", new { workingDirectory = main, includeExternal = true }))["sessions"]!.ToDictionary(s => (string)s["sessionId"]!);
        Assert.Equal(RealPath.Resolve(two), (string?)views[inTwo]["workingDirectory"]);
        Assert.Equal("external", (string?)views[inTwo]["source"]);
        Assert.All(views.Values, view => Assert.True((bool)view["status"]!["resumable"]!));
        var resumed = await server.InvokeAsync("session/resume", new { sessionId = inTwo, prompt = "back in worktree two" });
        Assert.Equal(FakeMessagesApi.ReplyTo("back in worktree two"), (string?)resumed["result"]!["text"]);

        foreach (var method in Methods)
        {
            var parameters = new JObject { ["workingDirectory"] = main, ["includeWorktrees"] = "yes" };
            if (method == "session/search")
            {
                parameters["query"] = "zebrafish";
            }

            var error = await server.InvokeExpectingErrorAsync(method, parameters);
            Assert.Equal(-32602, error.ErrorCode);
            Assert.Equal("includeWorktrees", (string?)error.ErrorData?["parameter"]);
        }
    }

    [Fact]
    public async Task A_transcript_a_moved_project_left_in_the_folders_project_folder_is_listed_found_and_resumed_there()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var old = environment.Create("old-name");
        var moved = await EngineFactory.RunTurnAsync(environment, old, "zebrafish before the move", output: output);
        var sessionId = moved.SessionId!;
        var oldProjectFolder = Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(RealPath.Resolve(old)!));
        Assert.True(File.Exists(Path.Combine(oldProjectFolder, sessionId + ".jsonl")));

        // The project is renamed, and its project folder with it: the transcript's lines still name the old folder.
        var renamed = Path.Combine(environment.Root, "new-name");
        Directory.Move(old, renamed);
        Directory.Move(oldProjectFolder, Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(RealPath.Resolve(renamed)!)));

        await using var server = ServerProcess.Start(environment, output);
        var status = await server.InvokeAsync("session/status", new { sessionId, workingDirectory = renamed });
        Assert.True((bool)status["resumable"]!);
        Assert.Contains(sessionId, await SdkIdsAsync(environment, new JObject { ["dir"] = renamed }));
        foreach (var method in Methods)
        {
            var sessions = await SessionsAsync(server, method, new JObject { ["workingDirectory"] = renamed });
            var view = Assert.Single(sessions);
            Assert.Equal(sessionId, (string?)view["sessionId"]);
            Assert.Equal(RealPath.Resolve(renamed), (string?)view["workingDirectory"]);
        }

        var listed = (await SessionsAsync(server, "session/list", new JObject { ["workingDirectory"] = renamed })).Single();
        Assert.True((bool)listed["status"]!["resumable"]!);

        // Resumed where the listing shows it: without the folder, the transcript's own folder is gone.
        var refused = await server.InvokeExpectingErrorAsync("session/resume", new { sessionId, prompt = "from nowhere" });
        Assert.Equal(-31001, refused.ErrorCode);
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "after the move", workingDirectory = (string)listed["workingDirectory"]! });
        Assert.Equal(FakeMessagesApi.ReplyTo("after the move"), (string?)resumed["result"]!["text"]);
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/resume", new { sessionId, prompt = "x", workingDirectory = "relative/path" })).ErrorCode);
    }

    private static async Task<string> CreateAsync(ServerProcess server, string folder, string prompt) =>
        (string)(await server.InvokeAsync("session/create", new { workingDirectory = folder, prompt }))["sessionId"]!;

    /// <summary>The sessions a method answers with every session of the scope visible (the CLI's own included).</summary>
    private static async Task<List<JToken>> SessionsAsync(ServerProcess server, string method, JObject parameters)
    {
        parameters["includeExternal"] = true;
        parameters["limit"] = 1000;
        if (method == "session/search")
        {
            parameters["query"] = "zebrafish";
        }

        return (await server.InvokeAsync(method, parameters))["sessions"]!.ToList();
    }

    private static async Task<List<string>> IdsAsync(ServerProcess server, string method, JObject parameters) =>
        (await SessionsAsync(server, method, parameters)).Select(s => (string)s["sessionId"]!).Order().ToList();

    private static async Task<List<string>> SdkIdsAsync(TestEnvironment environment, JObject arguments) =>
        (await SdkOracle.RunAsync(environment, "list", arguments)).Select(s => (string)s["sessionId"]!).Order().ToList();

    private static async Task GitAsync(TestEnvironment environment, string folder, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.Environment["HOME"] = environment.Home;
        startInfo.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var (exitCode, _, stderr) = await ChildProcess.RunToEndAsync(startInfo);
        Assert.True(exitCode == 0, $"git {string.Join(' ', arguments)}: {stderr}");
    }
}
