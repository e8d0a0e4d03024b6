using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// The management methods over stdio with the real CLI, checked against the official TypeScript SDK as an oracle:
/// what the server writes the SDK reads the same, what the SDK writes the server reads the same, and the CLI still
/// resumes every session afterwards.
/// </summary>
public sealed class SessionManagementTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task Initialize_advertises_every_method()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);

        var methods = (await server.InvokeAsync("initialize", new { }))["capabilities"]!["methods"]!.Values<string>().ToList();

        string[] expected = ["initialize", "shutdown", "session/create", "session/resume", "session/listResumable", "session/status", "session/list", "session/info",
            "session/messages", "session/rename", "session/tag", "session/archive", "session/unarchive", "session/delete", "session/fork", "session/cancel", "session/prepare", "session/search"];
        Assert.Equal(expected.Order(), methods.Order());
    }

    [Fact]
    public async Task List_shows_every_session_with_its_reason_and_pages_stay_correct_while_sessions_are_added()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"session {i}" }))["sessionId"]!);
        }

        File.Delete((string)(await server.InvokeAsync("session/status", new { sessionId = ids[1] }))["filePath"]!);

        var all = await server.InvokeAsync("session/list", new { });
        Assert.Equal([ids[3], ids[2], ids[1], ids[0]], all["sessions"]!.Select(s => (string)s["sessionId"]!));
        var lost = all["sessions"]!.Single(s => (string?)s["sessionId"] == ids[1]);
        Assert.False((bool)lost["status"]!["resumable"]!);
        Assert.Equal("session_file_missing", (string?)lost["status"]!["reason"]);
        Assert.DoesNotContain(ids[1], (await server.InvokeAsync("session/listResumable", new { }))["sessions"]!.Select(s => (string)s["sessionId"]!));

        var first = await server.InvokeAsync("session/list", new { limit = 2 });
        Assert.Equal([ids[3], ids[2]], first["sessions"]!.Select(s => (string)s["sessionId"]!));
        var cursor = (string)first["nextCursor"]!;

        ids.Add((string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "newer" }))["sessionId"]!);
        var second = await server.InvokeAsync("session/list", new { limit = 2, cursor });
        Assert.Equal([ids[1], ids[0]], second["sessions"]!.Select(s => (string)s["sessionId"]!));
        Assert.Null(second["nextCursor"]);

        var bad = await server.InvokeExpectingErrorAsync("session/list", new { cursor = "not-a-cursor" });
        Assert.Equal(-32602, bad.ErrorCode);
    }

    [Fact]
    public async Task Info_and_messages_follow_the_conversation_as_the_SDK_reads_it()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "one" }))["sessionId"]!;
        await server.InvokeAsync("session/resume", new { sessionId, prompt = "two" });
        await server.InvokeAsync("session/resume", new { sessionId, prompt = "three" });

        var info = await server.InvokeAsync("session/info", new { sessionId });
        Assert.Equal(6, (int)info["messageCount"]!);
        Assert.Equal("one", (string?)info["firstPrompt"]);
        Assert.Equal(environment.Workspace, (string?)info["workingDirectory"]);
        Assert.True((bool)info["status"]!["resumable"]!);

        var messages = await server.InvokeAsync("session/messages", new { sessionId });
        var list = messages["messages"]!.ToList();
        Assert.Equal(6, (int)messages["total"]!);
        Assert.Equal(["user", "assistant", "user", "assistant", "user", "assistant"], list.Select(m => (string)m["type"]!));
        Assert.Equal("two", (string?)list[2]["message"]!["content"]);
        Assert.Contains(FakeMessagesApi.ReplyTo("three"), list[5]["message"]!.ToString());

        var sdk = await SdkOracle.RunAsync(environment, "messages", new JObject { ["sessionId"] = sessionId, ["dir"] = environment.Workspace });
        Assert.Equal(sdk.Select(m => (string)m["uuid"]!), list.Select(m => (string)m["uuid"]!));

        var page = await server.InvokeAsync("session/messages", new { sessionId, offset = 2, limit = 2 });
        Assert.Equal(list.Skip(2).Take(2).Select(m => (string)m["uuid"]!), page["messages"]!.Select(m => (string)m["uuid"]!));
    }

    [Fact]
    public async Task Rename_tag_and_archive_are_read_back_by_the_SDK_and_the_CLI_still_resumes()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "to be renamed" }))["sessionId"]!;
        var sdkArgs = new JObject { ["sessionId"] = sessionId, ["dir"] = environment.Workspace };

        Assert.Equal("Renamed é", (string?)(await server.InvokeAsync("session/rename", new { sessionId, title = "  Renamed é " }))["title"]);
        await server.InvokeAsync("session/tag", new { sessionId, tag = "important" });
        await server.InvokeAsync("session/archive", new { sessionId });

        var sdk = await SdkOracle.RunAsync(environment, "info", sdkArgs);
        Assert.Equal("Renamed é", (string?)sdk["customTitle"]);
        Assert.Equal("important", (string?)sdk["tag"]);
        Assert.True((bool)sdk["archived"]!);

        var info = await server.InvokeAsync("session/info", new { sessionId });
        Assert.Equal("Renamed é", (string?)info["title"]);
        Assert.True((bool)info["archived"]!);
        Assert.Empty((await server.InvokeAsync("session/list", new { }))["sessions"]!);
        Assert.Single((await server.InvokeAsync("session/list", new { includeArchived = true }))["sessions"]!);

        await server.InvokeAsync("session/tag", new JObject { ["sessionId"] = sessionId, ["tag"] = null });
        await server.InvokeAsync("session/unarchive", new { sessionId });
        sdk = await SdkOracle.RunAsync(environment, "info", sdkArgs);
        Assert.Null(sdk["tag"]);
        Assert.False((bool)sdk["archived"]!);

        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "still resumable" });
        Assert.Equal(FakeMessagesApi.ReplyTo("still resumable"), (string?)resumed["result"]!["text"]);
        Assert.Equal("Renamed é", (string?)(await SdkOracle.RunAsync(environment, "info", sdkArgs))["customTitle"]);
    }

    [Fact]
    public async Task What_the_SDK_writes_the_server_reads_the_same()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "sdk target" }))["sessionId"]!;

        await SdkOracle.RunAsync(environment, "rename", new JObject { ["sessionId"] = sessionId, ["title"] = "Named by the SDK", ["dir"] = environment.Workspace });
        await SdkOracle.RunAsync(environment, "tag", new JObject { ["sessionId"] = sessionId, ["tag"] = "sdk-tag", ["dir"] = environment.Workspace });
        await SdkOracle.RunAsync(environment, "archive", new JObject { ["sessionId"] = sessionId, ["dir"] = environment.Workspace });

        var info = await server.InvokeAsync("session/info", new { sessionId });
        Assert.Equal("Named by the SDK", (string?)info["customTitle"]);
        Assert.Equal("Named by the SDK", (string?)info["title"]);
        Assert.Equal("sdk-tag", (string?)info["tag"]);
        Assert.True((bool)info["archived"]!);
    }

    [Fact]
    public async Task The_listing_agrees_with_the_SDKs_listSessions()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var other = environment.Create("other.project dir");
        await EngineFactory.RunTurnAsync(environment, environment.Workspace, "external one", output: output);
        await EngineFactory.RunTurnAsync(environment, other, "external elsewhere", output: output);
        await using var server = ServerProcess.Start(environment, output);
        var ours = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "line one\nline two" }))["sessionId"]!;
        await server.InvokeAsync("session/rename", new { sessionId = ours, title = "Ours" });

        foreach (var folder in new[] { environment.Workspace, other })
        {
            var listed = (await server.InvokeAsync("session/list", new { workingDirectory = folder, includeExternal = true }))["sessions"]!.ToList();
            var sdk = (await SdkOracle.RunAsync(environment, "list", new JObject { ["dir"] = folder })).ToList();

            Assert.Equal(sdk.Select(s => (string)s["sessionId"]!).Order(), listed.Select(s => (string)s["sessionId"]!).Order());
            foreach (var expected in sdk)
            {
                var actual = listed.Single(s => (string?)s["sessionId"] == (string?)expected["sessionId"]);
                Assert.Equal((string?)expected["firstPrompt"], (string?)actual["firstPrompt"]);
                Assert.Equal((string?)expected["customTitle"], (string?)actual["customTitle"]);
                Assert.Equal((string?)expected["gitBranch"], (string?)actual["gitBranch"]);
            }
        }
    }

    [Fact]
    public async Task Fork_copies_the_conversation_into_a_new_session_the_CLI_resumes_and_leaves_the_original_alone()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "origin" }))["sessionId"]!;
        await server.InvokeAsync("session/resume", new { sessionId, prompt = "second" });
        var originalPath = (string)(await server.InvokeAsync("session/status", new { sessionId }))["filePath"]!;
        var originalBytes = File.ReadAllBytes(originalPath);
        var originalMessages = (await server.InvokeAsync("session/messages", new { sessionId }))["messages"]!.ToList();

        var fork = await server.InvokeAsync("session/fork", new { sessionId });
        var forkId = (string)fork["sessionId"]!;
        Assert.NotEqual(sessionId, forkId);
        Assert.Equal(sessionId, (string?)fork["forkedFrom"]);
        Assert.True((bool)fork["status"]!["resumable"]!);
        Assert.Equal(originalBytes, File.ReadAllBytes(originalPath));

        var forkMessages = (await server.InvokeAsync("session/messages", new { sessionId = forkId }))["messages"]!.ToList();
        Assert.Equal(originalMessages.Select(m => m["message"]!.ToString()), forkMessages.Select(m => m["message"]!.ToString()));
        Assert.Equal("origin (fork)", (string?)(await SdkOracle.RunAsync(environment, "info", new JObject { ["sessionId"] = forkId, ["dir"] = environment.Workspace }))["customTitle"]);

        var resumed = await server.InvokeAsync("session/resume", new { sessionId = forkId, prompt = "on the fork" });
        Assert.Equal(FakeMessagesApi.ReplyTo("on the fork"), (string?)resumed["result"]!["text"]);
        var forkRequest = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "on the fork");
        Assert.Contains("second", FakeMessagesApi.TextsOf(forkRequest));
        Assert.Equal(originalBytes, File.ReadAllBytes(originalPath));

        // Up to the first answer, and with a first turn of its own.
        var partial = await server.InvokeAsync("session/fork", new { sessionId, upToMessageId = (string)originalMessages[1]["uuid"]!, prompt = "branching off" });
        Assert.Equal(FakeMessagesApi.ReplyTo("branching off"), (string?)partial["result"]!["text"]);
        var branchRequest = fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "branching off");
        Assert.Contains("origin", FakeMessagesApi.TextsOf(branchRequest));
        Assert.DoesNotContain("second", FakeMessagesApi.TextsOf(branchRequest));

        var unknown = await server.InvokeExpectingErrorAsync("session/fork", new { sessionId, upToMessageId = Guid.NewGuid().ToString() });
        Assert.Equal(-32602, unknown.ErrorCode);
    }

    [Fact]
    public async Task Rename_and_tag_are_allowed_while_a_turn_runs_and_neither_the_turn_nor_the_edit_is_lost()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "first" }))["sessionId"]!;
        var messagesBefore = server.Messages.Count;

        var running = server.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:4000] busy" });
        await Polling.WaitUntilAsync(() => server.Messages.Count > messagesBefore, TimeSpan.FromSeconds(60), "the resumed turn's first message");
        Assert.Equal("During", (string?)(await server.InvokeAsync("session/rename", new { sessionId, title = "During" }))["title"]);
        Assert.Equal("mid-turn", (string?)(await server.InvokeAsync("session/tag", new { sessionId, tag = "mid-turn" }))["tag"]);
        Assert.False(running.IsCompleted);
        Assert.Equal(FakeMessagesApi.ReplyTo("[slow:4000] busy"), (string?)(await running)["result"]!["text"]);

        var info = await server.InvokeAsync("session/info", new { sessionId });
        Assert.Equal("During", (string?)info["title"]);
        Assert.Equal("mid-turn", (string?)info["tag"]);
        var sdk = await SdkOracle.RunAsync(environment, "info", new JObject { ["sessionId"] = sessionId, ["dir"] = environment.Workspace });
        Assert.Equal("During", (string?)sdk["customTitle"]);
        Assert.Equal("mid-turn", (string?)sdk["tag"]);
        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "after the edits" });
        Assert.Contains("[slow:4000] busy", FakeMessagesApi.TextsOf(fixture.Api.Requests.Last(r => FakeMessagesApi.PromptOf(r) == "after the edits")));
        Assert.True((bool)resumed["status"]!["resumable"]!);
    }

    [Fact]
    public async Task Fork_is_named_after_the_title_the_session_shows_the_one_given_at_create_or_a_rename()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "Say hello", title = "Demo" }))["sessionId"]!;

        var fork = await server.InvokeAsync("session/fork", new { sessionId });
        Assert.Equal("Demo (fork)", (string?)fork["title"]);
        Assert.Equal("Demo (fork)", (string?)(await server.InvokeAsync("session/info", new { sessionId = (string)fork["sessionId"]! }))["title"]);
        Assert.Equal("Demo (fork)", (string?)(await SdkOracle.RunAsync(environment, "info", new JObject { ["sessionId"] = (string)fork["sessionId"]!, ["dir"] = environment.Workspace }))["customTitle"]);

        await server.InvokeAsync("session/rename", new { sessionId, title = "Renamed" });
        Assert.Equal("Renamed (fork)", (string?)(await server.InvokeAsync("session/fork", new { sessionId }))["title"]);
        Assert.Equal("Chosen", (string?)(await server.InvokeAsync("session/fork", new { sessionId, title = "Chosen" }))["title"]);
    }

    [Fact]
    public async Task Delete_removes_transcript_and_metadata_and_refuses_while_a_turn_runs()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "doomed" }))["sessionId"]!;
        var path = (string)(await server.InvokeAsync("session/status", new { sessionId }))["filePath"]!;
        await server.InvokeAsync("session/archive", new { sessionId });
        var messagesBefore = server.Messages.Count;

        var running = server.InvokeAsync("session/resume", new { sessionId, prompt = "[slow:6000] busy" });
        await Polling.WaitUntilAsync(() => server.Messages.Count > messagesBefore, TimeSpan.FromSeconds(60), "the resumed turn's first message");

        var refused = await server.InvokeExpectingErrorAsync("session/delete", new { sessionId });
        Assert.Equal(-31004, refused.ErrorCode);
        await running;
        Assert.True(File.Exists(path));

        Assert.True((bool)(await server.InvokeAsync("session/delete", new { sessionId }))["deleted"]!);
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, sessionId)));
        Assert.Equal("metadata_not_found", (string?)(await server.InvokeAsync("session/status", new { sessionId }))["reason"]);
        Assert.Equal(JTokenType.Null, (await SdkOracle.RunAsync(environment, "info", new JObject { ["sessionId"] = sessionId, ["dir"] = environment.Workspace })).Type);
        Assert.Equal(-31005, (await server.InvokeExpectingErrorAsync("session/delete", new { sessionId })).ErrorCode);
    }

    [Theory]
    [InlineData("session/info")]
    [InlineData("session/messages")]
    [InlineData("session/archive")]
    [InlineData("session/fork")]
    public async Task Methods_on_an_unknown_or_another_users_session_answer_not_found(string method)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var alices = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "private", userId = "alice" }))["sessionId"]!;

        var unknown = await server.InvokeExpectingErrorAsync(method, new { sessionId = Guid.NewGuid().ToString() });
        var others = await server.InvokeExpectingErrorAsync(method, new { sessionId = alices, userId = "bob" });

        Assert.Equal(-31005, unknown.ErrorCode);
        Assert.Equal("session_not_found", (string?)unknown.ErrorData!["reason"]);
        Assert.Equal(-31005, others.ErrorCode);
    }

    [Theory]
    [InlineData("ｄｅｍｏ")]
    [InlineData("cafe\u0301")]
    [InlineData("ﬁx\u200bed")]
    [InlineData("\uE000private\U000F0000")]
    [InlineData(" Ｔａｇ\u3000")]
    [InlineData("①\u00A0②\u0085")]
    public async Task Tags_are_cleaned_exactly_as_the_SDKs_tagSession_cleans_them(string tag)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (ours, _) = Resumability.TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
        var (sdks, _) = Resumability.TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
        await using var server = ServerProcess.Start(environment, output);

        var answered = (string?)(await server.InvokeAsync("session/tag", new { sessionId = ours, tag }))["tag"];
        await SdkOracle.RunAsync(environment, "tag", new JObject { ["sessionId"] = sdks, ["tag"] = tag, ["dir"] = environment.Workspace });

        var expected = (string?)(await SdkOracle.RunAsync(environment, "info", new JObject { ["sessionId"] = sdks, ["dir"] = environment.Workspace }))["tag"];
        Assert.NotEqual(tag, expected);
        Assert.Equal(expected, answered);
        Assert.Equal(expected, (string?)(await SdkOracle.RunAsync(environment, "info", new JObject { ["sessionId"] = ours, ["dir"] = environment.Workspace }))["tag"]);
        Assert.Equal(expected, (string?)(await server.InvokeAsync("session/info", new { sessionId = ours }))["tag"]);
    }

    [Fact]
    public async Task Rename_and_tag_check_their_values()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "checked" }))["sessionId"]!;

        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/rename", new { sessionId, title = "   " })).ErrorCode);
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/rename", new { sessionId })).ErrorCode);
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/tag", new { sessionId })).ErrorCode);
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/tag", new { sessionId, tag = 5 })).ErrorCode);
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/tag", new { sessionId, tag = "\u200b" })).ErrorCode);
        Assert.Equal(-32602, (await server.InvokeExpectingErrorAsync("session/messages", new { sessionId, limit = 0 })).ErrorCode);
        Assert.True((bool)(await server.InvokeAsync("session/status", new { sessionId }))["resumable"]!);
    }
}
