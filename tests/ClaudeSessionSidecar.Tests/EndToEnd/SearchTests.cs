using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary><c>session/search</c> over real sessions: made through the server and by the bare CLI, with the real CLI.</summary>
public sealed class SearchTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Words_must_all_appear_in_the_session_phrases_word_for_word_with_case_folded_and_word_boundaries_kept()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var zebra = await CreateAsync(server, environment.Workspace, "we talked about the zebrafish module");
        await server.InvokeAsync("session/resume", new { sessionId = zebra, prompt = "then task number 814 came up" });
        var other = await CreateAsync(server, environment.Workspace, "task number 8143 and Die Überprüfung läuft");

        Assert.Equal([zebra], await HitsAsync(server, "zebrafish"));
        Assert.Equal([zebra], await HitsAsync(server, "ZEBRAFISH 814"));            // words from two prompts, any order
        Assert.Equal([zebra], await HitsAsync(server, "\"task number 814\""));
        Assert.Equal([zebra], await HitsAsync(server, "task number 814"));          // 814 is no part of 8143
        Assert.Equal([other], await HitsAsync(server, "ÜBERPRÜFUNG"));
        Assert.Empty(await HitsAsync(server, "\"814 number task\""));
        Assert.Empty(await HitsAsync(server, "zebrafish quokka"));
        Assert.Equal(new[] { zebra, other }.Order(), (await HitsAsync(server, "task number")).Order());

        // The hit is the session as listings show it, with the messages that matched and a snippet holding the match.
        var hit = (await server.InvokeAsync("session/search", new { query = "zebrafish", workingDirectory = environment.Workspace }))["sessions"]!.Single();
        Assert.True((bool)hit["status"]!["resumable"]!);
        Assert.Equal("sidecar", (string?)hit["source"]);
        var matches = hit["matches"]!.ToList();
        Assert.Contains(matches, m => (string?)m["type"] == "user");
        Assert.Contains(matches, m => (string?)m["type"] == "assistant");   // the fake model repeats the prompt
        Assert.All(matches, m => Assert.Contains("zebrafish", (string?)m["snippet"], StringComparison.OrdinalIgnoreCase));
        var conversation = (await server.InvokeAsync("session/messages", new { sessionId = zebra }))["messages"]!.Select(m => (string?)m["uuid"]).ToHashSet();
        Assert.All(matches, m => Assert.Contains((string?)m["uuid"], conversation));
    }

    [Fact]
    public async Task Operators_punctuation_and_open_quotes_are_plain_text_and_bad_queries_are_invalid_params()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var session = await CreateAsync(server, environment.Workspace, "near the zebrafish tank, or maybe not!? 50% done");

        Assert.Equal([session], await HitsAsync(server, "-zebrafish"));
        Assert.Equal([session], await HitsAsync(server, "zebrafish*"));
        Assert.Equal([session], await HitsAsync(server, "NEAR"));
        Assert.Equal([session], await HitsAsync(server, "zebrafish OR tank"));
        Assert.Empty(await HitsAsync(server, "zebrafish OR quokka"));               // OR is a word that must appear, and quokka does not
        Assert.Equal([session], await HitsAsync(server, "\"zebrafish tank"));       // a quote that never closes
        Assert.Equal([session], await HitsAsync(server, "!?"));                     // punctuation alone, as written
        Assert.Empty(await HitsAsync(server, "*"));
        Assert.Empty(await HitsAsync(server, "\"\""));                            // an empty phrase is two quote marks, as written
        Assert.Empty(await HitsAsync(server, "zebra"));                             // a word is whole, not a prefix
        Assert.Equal([session], await HitsAsync(server, "tank: zebrafish^"));

        foreach (var (parameters, parameter) in new (object Params, string Parameter)[]
        {
            (new { }, "query"),
            (new { query = "" }, "query"),
            (new { query = 42 }, "query"),
            (new { query = new string('x', 1001) }, "query"),
            (new { query = "   " }, "query"),
            (new { query = "x", limit = 0 }, "limit"),
            (new { query = "x", workingDirectory = "relative" }, "workingDirectory"),
            (new { query = "x", cursor = "not-a-cursor" }, "cursor"),
        })
        {
            var error = await server.InvokeExpectingErrorAsync("session/search", parameters);
            Assert.Equal(-32602, error.ErrorCode);
            Assert.Equal(parameter, (string?)error.ErrorData?["parameter"]);
        }

        // 1,000 characters counted as a person counts them: emoji are one each.
        Assert.NotNull(await server.InvokeAsync("session/search", new { query = string.Concat(Enumerable.Repeat("😀", 1000)) }));
        Assert.Equal([session], await HitsAsync(server, "zebrafish"));
    }

    [Fact]
    public async Task Search_sees_each_change_at_once_and_keeps_to_the_users_scope()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var first = await CreateAsync(server, environment.Workspace, "about the zebrafish module");
        var second = await CreateAsync(server, environment.Workspace, "about something else");
        Assert.Equal([first], await HitsAsync(server, "zebrafish"));

        // A turn that just ended, and a rename.
        await server.InvokeAsync("session/resume", new { sessionId = second, prompt = "now the zebrafish too" });
        await server.InvokeAsync("session/rename", new { sessionId = second, title = "Renamed" });
        var hits = (await server.InvokeAsync("session/search", new { query = "zebrafish" }))["sessions"]!.ToList();
        Assert.Equal([second, first], hits.Select(h => (string)h["sessionId"]!));
        Assert.Equal("Renamed", (string?)hits[0]["title"]);

        // Another user sees none of them; paging gives each hit once.
        Assert.Empty((await server.InvokeAsync("session/search", new { query = "zebrafish", userId = "someone-else" }))["sessions"]!);
        var page = await server.InvokeAsync("session/search", new { query = "zebrafish", limit = 1 });
        var next = await server.InvokeAsync("session/search", new { query = "zebrafish", limit = 1, cursor = (string)page["nextCursor"]! });
        Assert.Equal([second, first], new[] { page, next }.Select(p => (string)p["sessions"]!.Single()["sessionId"]!));
        Assert.Null(next["nextCursor"]);

        // A search's cursor is its own: session/list refuses it, and a listing's cursor is refused here.
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/list", new { limit = 1, cursor = (string)page["nextCursor"]! })).ErrorCode);
        var listCursor = (string)(await server.InvokeAsync("session/list", new { limit = 1 }))["nextCursor"]!;
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/search", new { query = "zebrafish", limit = 1, cursor = listCursor })).ErrorCode);

        // A delete.
        await server.InvokeAsync("session/delete", new { sessionId = first });
        Assert.Equal([second], await HitsAsync(server, "zebrafish"));

        // A transcript the bare CLI just wrote: found with includeExternal only.
        var bare = await EngineFactory.RunTurnAsync(environment, environment.Workspace, "the bare zebrafish", output: output);
        Assert.Equal([second], await HitsAsync(server, "zebrafish"));
        var external = (await server.InvokeAsync("session/search", new { query = "bare zebrafish", includeExternal = true }))["sessions"]!.Single();
        Assert.Equal(bare.SessionId, (string?)external["sessionId"]);
        Assert.Equal("external", (string?)external["source"]);

        // The bare CLI goes on with a session of the server's.
        await EngineFactory.RunTurnAsync(environment, environment.Workspace, "a quokka appeared", resume: second, output: output);
        Assert.Equal([second], await HitsAsync(server, "quokka"));
    }

    [Fact]
    public async Task A_session_whose_folder_is_gone_is_found_with_its_reason_and_archived_ones_on_request()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var folder = environment.Create("doomed");
        var gone = await CreateAsync(server, folder, "zebrafish in a doomed folder");
        var archived = await CreateAsync(server, environment.Workspace, "zebrafish put away");
        await server.InvokeAsync("session/archive", new { sessionId = archived });
        Directory.Delete(folder, recursive: true);

        var hit = (await server.InvokeAsync("session/search", new { query = "zebrafish" }))["sessions"]!.Single();
        Assert.Equal(gone, (string?)hit["sessionId"]);
        Assert.False((bool)hit["status"]!["resumable"]!);
        Assert.Equal("working_directory_missing", (string?)hit["status"]!["reason"]);
        Assert.Equal(new[] { gone, archived }.Order(), (await server.InvokeAsync("session/search", new { query = "zebrafish", includeArchived = true }))["sessions"]!.Select(s => (string)s["sessionId"]!).Order());
    }

    private static async Task<string> CreateAsync(ServerProcess server, string folder, string prompt) =>
        (string)(await server.InvokeAsync("session/create", new { workingDirectory = folder, prompt }))["sessionId"]!;

    private static async Task<List<string>> HitsAsync(ServerProcess server, string query) =>
        (await server.InvokeAsync("session/search", new { query }))["sessions"]!.Select(s => (string)s["sessionId"]!).ToList();
}
