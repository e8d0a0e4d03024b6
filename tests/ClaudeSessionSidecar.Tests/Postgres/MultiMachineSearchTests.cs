using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Npgsql;
using Xunit.Abstractions;
using static ClaudeSessionSidecar.Tests.Postgres.MultiMachineSteps;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// <c>session/search</c> with two machines on one PostgreSQL store: a session is found on a machine that never had its
/// transcript, by its prompts and the model's replies, from the store's own copy. Real servers over stdio, the real
/// CLI against the fake Messages API (its reply to a prompt is <see cref="FakeMessagesApi.ReplyTo"/>).
/// </summary>
public sealed class MultiMachineSearchTests : IClassFixture<PostgresServer>, IClassFixture<FakeApiFixture>
{
    private readonly FakeMessagesApi api;
    private readonly ITestOutputHelper output;
    private readonly string connectionString;
    private readonly string url;

    public MultiMachineSearchTests(PostgresServer postgres, FakeApiFixture fake, ITestOutputHelper output)
    {
        api = fake.Api;
        this.output = output;
        connectionString = postgres.CreateDatabase();
        url = postgres.Url(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task A_session_of_A_is_found_on_B_without_its_transcript_and_each_machine_finds_the_others_new_turns()
    {
        await using var a = Start("A");
        await using var b = Start("B");
        var cwd = a.Environment.Workspace;
        var sessionId = await CreateAsync(a, cwd, "first turn on A about nothing special");
        const string Prompt = "Die Überprüfung von Auftrag 8143 mit dem Quokka-Modul";
        await ResumeAsync(a, sessionId, Prompt);
        var reply = FakeMessagesApi.ReplyTo(Prompt);
        var onB = b.TranscriptPath(sessionId, cwd);

        // Indexed as the turn's end made the store's copy equal to A's file, before any search.
        Assert.Equal(true, await ScalarAsync(connectionString, $"SELECT i.transcript_version = s.transcript_version FROM sidecar_sessions s JOIN sidecar_search_sources i USING (session_id) WHERE s.session_id = '{sessionId}'"));

        Assert.Equal([sessionId], await HitsAsync(b, "quokka"));                             // a word of the prompt
        Assert.Equal([sessionId], await HitsAsync(b, "ÜBERPRÜFUNG"));                        // folded for all of Unicode
        Assert.Equal([sessionId], await HitsAsync(b, "\"auftrag 8143\" nothing special"));   // a phrase, and words of the first turn
        Assert.Empty(await HitsAsync(b, "814"));                                              // 814 is no part of 8143
        Assert.Empty(await HitsAsync(b, "quokka", userId: "bob"));
        var byReply = Assert.Single((await b.CallAsync("session/search", new { query = $"\"Modul ({Prompt.Length} chars)\"" }))["sessions"]!);
        var replyMatch = Assert.Single(byReply["matches"]!);                                  // a phrase only the model's reply holds
        Assert.Equal("assistant", (string?)replyMatch["type"]);
        Assert.Equal(reply, (string?)replyMatch["snippet"]);
        Assert.False(File.Exists(onB), "the search brought the transcript to B");

        // The hit is the session as B's listing shows it, its matches the messages session/messages gives on B.
        var hit = Assert.Single((await b.CallAsync("session/search", new { query = "quokka", workingDirectory = cwd }))["sessions"]!);
        Assert.True((bool)hit["status"]!["resumable"]!, hit.ToString());
        Assert.Equal("sidecar", (string?)hit["source"]);
        Assert.Equal(onB, (string?)hit["status"]!["filePath"]);
        var matches = hit["matches"]!.ToList();
        Assert.Equal(["user", "assistant"], matches.Select(m => (string)m["type"]!));
        Assert.Equal([Prompt, reply], matches.Select(m => (string)m["snippet"]!));
        var messages = (await b.CallAsync("session/messages", new { sessionId }))["messages"]!;
        Assert.Equal(
            messages.Where(m => TextOf(m["message"]!["content"]).Contains("Quokka", StringComparison.Ordinal)).Select(m => (string?)m["uuid"]),
            matches.Select(m => (string?)m["uuid"]));
        Assert.Equal(
            messages.Where(m => TextOf(m["message"]!["content"]).Contains("Quokka", StringComparison.Ordinal)).Select(m => (string?)m["timestamp"]),
            matches.Select(m => (string?)m["timestamp"]));

        // A turn on B: A, whose copy is now behind, finds its words at once, and again once its copy is brought up to date.
        const string OnB = "the platypus ledger of machine B";
        await ResumeAsync(b, sessionId, OnB);
        Assert.DoesNotContain("platypus", File.ReadAllText(a.TranscriptPath(sessionId, cwd)), StringComparison.Ordinal);
        Assert.Equal([sessionId], await HitsAsync(a, "platypus ÜBERPRÜFUNG"));
        var onA = Assert.Single((await a.CallAsync("session/search", new { query = "platypus" }))["sessions"]!)["matches"]!.Select(m => (string?)m["uuid"]).ToList();
        var messagesOnA = (await a.CallAsync("session/messages", new { sessionId }))["messages"]!;
        Assert.Equal(messagesOnA.Where(m => TextOf(m["message"]!["content"]).Contains("platypus", StringComparison.Ordinal)).Select(m => (string?)m["uuid"]), onA);
        Assert.Equal([sessionId], await HitsAsync(a, "platypus"));
        Assert.Empty(await HitsAsync(a, "platypu"));
    }

    private Machine Start(string name) => new(name, url, api.BaseUrl, output);

    private static async Task<List<string>> HitsAsync(Machine machine, string query, string? userId = null)
    {
        var parameters = new JObject { ["query"] = query };
        if (userId is not null)
        {
            parameters["userId"] = userId;
        }

        return (await machine.CallAsync("session/search", parameters))["sessions"]!.Select(s => (string)s["sessionId"]!).ToList();
    }
}
