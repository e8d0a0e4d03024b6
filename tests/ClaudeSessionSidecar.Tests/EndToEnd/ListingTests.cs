using System.Text;
using ClaudeSessionSidecar.Tests.Infrastructure;
using ClaudeSessionSidecar.Tests.Resumability;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// Listings over real stdio: every session the CLI resumes is listed (with a sensible title), whatever the SDK's
/// <c>listSessions</c> skips; and where the SDK lists a session, the fields it shares with ours agree with it.
/// </summary>
public sealed class ListingTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    /// <summary>Transcripts the SDK does not list but the CLI resumes, and the title each must be listed with (null: the session id).</summary>
    public static TheoryData<string, string?> HiddenBySdk() => new()
    {
        { "only-assistant", "PRIOR_ASSISTANT_MARKER" },
        { "only-attachment", null },
        { "only-system", null },
        { "user-empty-content", null },
        { "user-empty-list", null },
        { "conversation-in-last-line", "PRIOR_USER_MARKER" },
        { "large-pad-user-pad", "PRIOR_USER_MARKER" },
    };

    [Theory]
    [MemberData(nameof(HiddenBySdk))]
    public async Task A_transcript_the_SDK_skips_is_listed_when_the_CLI_resumes_it(string kind, string? expectedTitle)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var sessionId = Lay(environment, kind);
        await using var server = ServerProcess.Start(environment, output);
        var sdk = (await SdkOracle.RunAsync(environment, "list", new JObject { ["dir"] = environment.Workspace })).ToList();
        Assert.DoesNotContain(sdk, s => (string?)s["sessionId"] == sessionId);

        Assert.True((bool)(await server.InvokeAsync("session/status", new { sessionId }))["resumable"]!);
        var resumable = (await server.InvokeAsync("session/listResumable", new { includeExternal = true, workingDirectory = environment.Workspace }))["sessions"]!;
        var listed = Assert.Single(resumable, s => (string?)s["sessionId"] == sessionId);
        Assert.Equal(expectedTitle ?? sessionId, (string?)listed["title"]);
        Assert.Equal(environment.Workspace, (string?)listed["workingDirectory"]);
        var all = (await server.InvokeAsync("session/list", new { includeExternal = true }))["sessions"]!;
        var view = Assert.Single(all, s => (string?)s["sessionId"] == sessionId);
        Assert.True((bool)view["status"]!["resumable"]!);
        Assert.Equal(expectedTitle ?? sessionId, (string?)view["title"]);

        var resumed = await server.InvokeAsync("session/resume", new { sessionId, prompt = "resuming " + kind });
        Assert.Equal("success", (string?)resumed["result"]!["subtype"]);
        Assert.Equal(FakeMessagesApi.ReplyTo("resuming " + kind), (string?)resumed["result"]!["text"]);
    }

    [Fact]
    public async Task Every_crafted_transcript_the_status_calls_resumable_is_listed_and_the_SDKs_fields_agree()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var ids = new Dictionary<string, string>();
        foreach (var name in ((IEnumerable<object[]>)TranscriptCorpus.Cases()).Select(row => (string)row[0]))
        {
            if ((string?)TranscriptCorpus.Case(name)["kind"] is null)
            {
                ids[TranscriptCorpus.Materialize(environment, name, environment.Workspace).SessionId] = name;
            }
        }

        await using var server = ServerProcess.Start(environment, output);
        var listed = (await server.InvokeAsync("session/list", new { workingDirectory = environment.Workspace, includeExternal = true, limit = 10000 }))["sessions"]!
            .ToDictionary(s => (string)s["sessionId"]!);
        var resumable = (await server.InvokeAsync("session/listResumable", new { workingDirectory = environment.Workspace, includeExternal = true, limit = 1000 }))["sessions"]!
            .Select(s => (string)s["sessionId"]!).ToHashSet();
        var sdk = (await SdkOracle.RunAsync(environment, "list", new JObject { ["dir"] = environment.Workspace })).ToList();

        foreach (var (sessionId, name) in ids)
        {
            var status = await server.InvokeAsync("session/status", new { sessionId, workingDirectory = environment.Workspace });
            if ((bool)status["resumable"]!)
            {
                Assert.True(listed.ContainsKey(sessionId), $"{name} is resumable but not in session/list");
                Assert.True(resumable.Contains(sessionId), $"{name} is resumable but not in session/listResumable");
                Assert.True((bool)listed[sessionId]["status"]!["resumable"]!, $"{name}: session/list disagrees with session/status");
            }
            else
            {
                Assert.DoesNotContain(sessionId, resumable);
            }
        }

        Assert.NotEmpty(sdk);
        foreach (var expected in sdk)
        {
            var sessionId = (string)expected["sessionId"]!;
            Assert.True(listed.TryGetValue(sessionId, out var actual), $"{ids[sessionId]} is listed by the SDK, not by the server");
            foreach (var field in new[] { "firstPrompt", "customTitle", "gitBranch", "tag", "fileSize" })
            {
                Assert.True(JToken.DeepEquals(expected[field], actual[field]), $"{ids[sessionId]}: {field} is {actual[field]?.ToString() ?? "absent"}, the SDK says {expected[field]?.ToString() ?? "absent"}");
            }
        }
    }

    [Fact]
    public async Task A_session_whose_folder_is_gone_keeps_the_SDKs_branch_and_size()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var folder = environment.Create("soon-gone");
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = folder, prompt = "before the folder went" }))["sessionId"]!;
        Directory.Delete(folder, recursive: true);

        var view = (await server.InvokeAsync("session/list", new { }))["sessions"]!.Single();
        var sdk = (await SdkOracle.RunAsync(environment, "list", new JObject())).Single(s => (string?)s["sessionId"] == sessionId);

        Assert.Equal("working_directory_missing", (string?)view["status"]!["reason"]);
        Assert.NotNull(sdk["fileSize"]);
        Assert.Equal((long)sdk["fileSize"]!, (long?)view["fileSize"]);
        Assert.True(JToken.DeepEquals(sdk["gitBranch"], view["gitBranch"]));
        Assert.Equal((string?)sdk["firstPrompt"], (string?)view["firstPrompt"]);
    }

    [Fact]
    public async Task Archived_sessions_leave_listResumable_unless_asked_for()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "to archive" }))["sessionId"]!;
        await server.InvokeAsync("session/archive", new { sessionId });

        Assert.Empty((await server.InvokeAsync("session/listResumable", new { }))["sessions"]!);
        Assert.Equal(sessionId, (string?)(await server.InvokeAsync("session/listResumable", new { includeArchived = true }))["sessions"]!.Single()["sessionId"]);
        Assert.True((bool)(await server.InvokeAsync("session/status", new { sessionId }))["resumable"]!);
    }

    [Fact]
    public async Task A_transcript_without_a_working_directory_is_listed_without_one_and_an_empty_one_is_too_small_wherever_it_is_looked_for()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (noCwd, _) = TranscriptCorpus.Materialize(environment, "only-summary", environment.Workspace);
        File.AppendAllText(Path.Combine(environment.ProjectsDirectory, Engine.Transcripts.ProjectDirectoryName.Encode(environment.Workspace), noCwd + ".jsonl"),
            "{\"type\":\"last-prompt\",\"lastPrompt\":\"no folder here\",\"sessionId\":\"" + noCwd + "\"}\n");
        var (empty, _) = TranscriptCorpus.Materialize(environment, "empty", environment.Workspace);
        await using var server = ServerProcess.Start(environment, output);

        var view = (JObject)(await server.InvokeAsync("session/list", new { includeExternal = true }))["sessions"]!.Single(s => (string?)s["sessionId"] == noCwd);
        Assert.False(view.ContainsKey("workingDirectory"));
        Assert.False(view.ContainsKey("firstPrompt"));
        Assert.Equal("session_file_no_conversation", (string?)view["status"]!["reason"]);

        Assert.Equal("session_file_too_small", (string?)(await server.InvokeAsync("session/status", new { sessionId = empty }))["reason"]);
        Assert.Equal("session_file_too_small", (string?)(await server.InvokeAsync("session/status", new { sessionId = empty, workingDirectory = environment.Workspace }))["reason"]);
    }

    [Fact]
    public async Task An_uppercase_session_id_names_the_same_session_and_answers_come_in_lowercase()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (sessionId, path) = TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
        await using var server = ServerProcess.Start(environment, output);
        var upper = sessionId.ToUpperInvariant();

        var status = await server.InvokeAsync("session/status", new { sessionId = upper });
        Assert.True((bool)status["resumable"]!);
        Assert.Equal(path, (string?)status["filePath"]);
        Assert.Equal(sessionId, (string?)(await server.InvokeAsync("session/rename", new { sessionId = upper, title = "Upper" }))["sessionId"]);
        Assert.Equal(sessionId, (string?)(await server.InvokeAsync("session/info", new { sessionId = upper }))["sessionId"]);
    }

    [Fact]
    public async Task Pages_of_any_size_list_every_session_once_when_their_activity_shares_a_millisecond()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (ids, own) = LaySameMillisecond(environment, count: 40);
        await using var server = ServerProcess.Start(environment, output);

        // Within one millisecond the order is the cursor's: the higher id (ordinal) first, whatever the ticks say.
        var expected = ids.Order(StringComparer.Ordinal).Reverse().ToList();
        foreach (var limit in new[] { 1, 5, 7, 50 })
        {
            Assert.Equal(expected, await PageThroughAsync(server, limit, includeExternal: true));
        }

        // The store's own sessions alone are sorted apart (no transcripts scanned): the same order.
        Assert.Equal(expected.Where(own.Contains), await PageThroughAsync(server, 3, includeExternal: false));
    }

    [Fact]
    public async Task A_cursor_no_server_on_the_store_gave_is_refused_naming_cursor_and_a_given_one_pages_on()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (ids, _) = LaySameMillisecond(environment, count: 3);
        using var elsewhere = new TestEnvironment(fixture.Api.BaseUrl);
        LaySameMillisecond(elsewhere, count: 3);
        string fromElsewhere;
        await using (var other = ServerProcess.Start(elsewhere, output))
        {
            fromElsewhere = (string)(await other.InvokeAsync("session/list", new { limit = 1, includeExternal = true }))["nextCursor"]!;
        }

        await using var server = ServerProcess.Start(environment, output);
        var cursor = (string)(await server.InvokeAsync("session/list", new { limit = 1, includeExternal = true }))["nextCursor"]!;
        var payload = cursor[..cursor.IndexOf('.', StringComparison.Ordinal)];
        var signature = cursor[(payload.Length + 1)..];
        var sortKey = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(payload));
        var documented = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(Repository.Root, "stdio-protocol.md")), "\"nextCursor\":\"([^\"]+)\"").Groups[1].Value;
        var inOrder = ids.Order(StringComparer.Ordinal).Reverse().ToList();
        string Encode(string text) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

        string[] refused =
        [
            documented,
            payload,
            Convert.ToBase64String(Encoding.UTF8.GetBytes(sortKey)),
            Encode(sortKey.Replace(":", ": ", StringComparison.Ordinal)) + "." + signature,
            Encode(sortKey.Replace(inOrder[0], inOrder[2], StringComparison.Ordinal)) + "." + signature,
            Encode(sortKey) + "." + (signature[0] == 'A' ? 'B' : 'A') + signature[1..],
            cursor + "=",
            fromElsewhere,
        ];
        Assert.Contains('.', documented);
        foreach (var made in refused)
        {
            var error = await server.InvokeExpectingErrorAsync("session/list", new { limit = 1, includeExternal = true, cursor = made });
            Assert.True(error.ErrorCode == -32602 && (string?)error.ErrorData?["parameter"] == "cursor", $"{made}: {error}");
        }

        var next = (await server.InvokeAsync("session/list", new { limit = 1, includeExternal = true, cursor }))["sessions"]!;
        Assert.Equal(inOrder[1], (string?)next.Single()["sessionId"]);
    }

    [Fact]
    public async Task Call_mode_pages_with_one_server_process_a_page()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (ids, _) = LaySameMillisecond(environment, count: 7);
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var parameters = new JObject { ["limit"] = 3, ["includeExternal"] = true };
            if (cursor is not null)
            {
                parameters["cursor"] = cursor;
            }

            var (exitCode, stdout, _) = await ServerProcess.CallAsync(environment, output, "session/list", parameters);
            Assert.Equal(0, exitCode);
            var page = Engine.Transcripts.TranscriptLines.Parse(stdout);
            seen.AddRange(page["sessions"]!.Select(s => (string)s["sessionId"]!));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null && seen.Count < 100);

        Assert.Equal(ids.Order(StringComparer.Ordinal).Reverse(), seen);
    }

    /// <summary>
    /// Lays out <paramref name="count"/> CLI-shaped transcripts of the workspace whose modification times fall in one
    /// millisecond, a few microseconds apart in an order unrelated to their ids; every other one is also in the store.
    /// </summary>
    /// <returns>Every id, and those of the store.</returns>
    internal static (List<string> Ids, HashSet<string> Own) LaySameMillisecond(TestEnvironment environment, int count)
    {
        var millisecond = new DateTime(2026, 11, 26, 12, 22, 44, 614, DateTimeKind.Utc);
        var store = Engine.Store.SessionStore.Open(environment.StoreDirectory);
        var ids = new List<string>();
        var own = new HashSet<string>();
        for (var i = 0; i < count; i++)
        {
            var (sessionId, path) = TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
            File.SetLastWriteTimeUtc(path, millisecond.AddTicks(i * 37 % count * 200));
            ids.Add(sessionId);
            if (i % 2 == 0)
            {
                store.Insert(new Engine.Store.SessionRecord(sessionId, Environment.UserName, environment.Workspace, environment.Workspace, millisecond, millisecond, "own " + i, "PRIOR_USER_MARKER"));
                own.Add(sessionId);
            }
        }

        Assert.Single(ids.Select(id => File.GetLastWriteTimeUtc(Path.Combine(environment.ProjectsDirectory, Engine.Transcripts.ProjectDirectoryName.Encode(environment.Workspace), id + ".jsonl")).Ticks / TimeSpan.TicksPerMillisecond).Distinct());
        return (ids, own);
    }

    /// <summary>Every page of <c>session/list</c>, following <c>nextCursor</c>: the ids in the order given.</summary>
    private static async Task<List<string>> PageThroughAsync(ServerProcess server, int limit, bool includeExternal)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var parameters = new JObject { ["limit"] = limit, ["includeExternal"] = includeExternal };
            if (cursor is not null)
            {
                parameters["cursor"] = cursor;
            }

            var page = await server.InvokeAsync("session/list", parameters);
            var sessions = page["sessions"]!.Select(s => (string)s["sessionId"]!).ToList();
            Assert.InRange(sessions.Count, 1, limit);
            ids.AddRange(sessions);
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null && ids.Count < 1000);

        return ids;
    }

    /// <summary>Lays out one kind of <see cref="HiddenBySdk"/> as a session of the workspace; returns its id.</summary>
    private static string Lay(TestEnvironment environment, string kind)
    {
        switch (kind)
        {
            case "user-empty-list":
            {
                var (sessionId, path) = TranscriptCorpus.Materialize(environment, "user-empty-content", environment.Workspace);
                File.WriteAllText(path, File.ReadAllText(path).Replace("\"content\":\"\"", "\"content\":[]", StringComparison.Ordinal));
                return sessionId;
            }

            case "conversation-in-last-line":
            {
                // More than the SDK's 64 KiB head of metadata, then the conversation's only line.
                var (sessionId, path) = TranscriptCorpus.Materialize(environment, "only-user", environment.Workspace);
                var pad = ((string)TranscriptCorpus.Case("large-pad-then-user")["generate"]!["padLine"]!).Replace(TranscriptCorpus.PlaceholderSessionId, sessionId, StringComparison.Ordinal);
                var body = File.ReadAllText(path);
                var padding = new StringBuilder();
                while (padding.Length < 80 * 1024)
                {
                    padding.Append(pad).Append('\n');
                }

                File.WriteAllText(path, padding + body);
                Assert.Single(File.ReadAllLines(path), line => !line.StartsWith("{\"type\":\"queue-operation\"", StringComparison.Ordinal));
                return sessionId;
            }

            default:
                return TranscriptCorpus.Materialize(environment, kind, environment.Workspace).SessionId;
        }
    }
}
