using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Store;

/// <summary>
/// The search index reads only what changed (in this process and the next), answers as reading every transcript
/// would, and searches the conversation as <c>session/messages</c> shows it, not the transcript's other lines.
/// </summary>
public sealed class SearchIndexTests : IDisposable
{
    private static readonly DateTime Settled = DateTime.UtcNow.AddHours(-1);

    private readonly TestEnvironment environment = new();
    private readonly string folder;

    public SearchIndexTests()
    {
        folder = Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(environment.Workspace));
        Directory.CreateDirectory(folder);
    }

    public void Dispose() => environment.Dispose();

    [Fact]
    public void Only_transcripts_whose_stamp_changed_are_read_again_in_this_process_and_the_next()
    {
        var a = Write("the zebrafish module");
        var b = Write("the quokka module");
        var index = NewIndex();
        index.Update([a, b]);
        Assert.Equal(2, index.TranscriptsRead);
        Assert.Equal([a.Path], Find(index, "zebrafish", a, b));

        index.Update([a, b]);
        Assert.Equal(2, index.TranscriptsRead);
        var next = NewIndex();
        next.Update([a, b]);
        Assert.Equal(0, next.TranscriptsRead);
        Assert.Equal([b.Path], Find(next, "quokka", a, b));

        // A turn appended to one: that one alone is read again, and its new words are found.
        File.AppendAllText(b.Path, Line(b.SessionId, "user", "now a zebrafish", parent: null, Guid.NewGuid()) + "\n");
        File.SetLastWriteTimeUtc(b.Path, Settled.AddMinutes(1));
        next.Update([a, b]);
        Assert.Equal(1, next.TranscriptsRead);
        Assert.Equal(new[] { a.Path, b.Path }.Order(), Find(next, "zebrafish", a, b).Order());

        // A deleted one leaves the index.
        File.Delete(a.Path);
        next.Update([a, b]);
        Assert.Equal([b.Path], Find(next, "zebrafish", a, b));
    }

    [Fact]
    public void A_transcript_written_just_now_is_read_again_next_time_even_when_its_stamp_holds()
    {
        var a = Write("first words", settle: false);
        var index = NewIndex();
        index.Update([a]);
        index.Update([a]);
        Assert.Equal(2, index.TranscriptsRead);

        File.SetLastWriteTimeUtc(a.Path, Settled);
        index.Update([a]);
        index.Update([a]);
        Assert.Equal(3, index.TranscriptsRead);
    }

    [Fact]
    public void Only_the_conversation_is_searched_not_tool_results_meta_lines_sidechains_or_bookkeeping()
    {
        var id = Guid.NewGuid();
        var user = Guid.NewGuid();
        var path = Path.Combine(folder, id + ".jsonl");
        // The meta and sidechain lines come first: the chain is walked from the latest leaf, the answer.
        File.WriteAllLines(path,
        [
            $$"""{"parentUuid":null,"isSidechain":false,"isMeta":true,"type":"user","message":{"role":"user","content":"hidden reminder"},"uuid":"{{Guid.NewGuid()}}","sessionId":"{{id}}"}""",
            $$"""{"parentUuid":null,"isSidechain":true,"type":"user","message":{"role":"user","content":"hidden sidechain"},"uuid":"{{Guid.NewGuid()}}","sessionId":"{{id}}"}""",
            Line(id, "user", "visible prompt", null, user),
            $$$"""{"parentUuid":"{{{user}}}","isSidechain":false,"type":"assistant","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hidden thinking"},{"type":"text","text":"visible answer"},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"hidden tool input"}}]},"uuid":"{{{Guid.NewGuid()}}}","timestamp":"2026-01-01T00:00:01.000Z","sessionId":"{{{id}}}"}""",
            $$"""{"type":"last-prompt","lastPrompt":"hidden bookkeeping","sessionId":"{{id}}"}""",
        ]);
        File.SetLastWriteTimeUtc(path, Settled);
        var transcript = (id.ToString(), path);
        var index = NewIndex();
        index.Update([transcript]);

        Assert.Equal([path], Find(index, "visible prompt", transcript));
        Assert.Equal([path], Find(index, "\"visible answer\"", transcript));
        foreach (var hidden in new[] { "thinking", "tool", "reminder", "sidechain", "bookkeeping" })
        {
            Assert.Empty(Find(index, hidden, transcript));
        }
    }

    [Fact]
    public void A_snippet_is_a_few_hundred_characters_around_the_match_cut_on_whole_characters()
    {
        var text = string.Concat(Enumerable.Repeat("😀 padding ", 400)) + "the zebrafish " + string.Concat(Enumerable.Repeat("more 😀 ", 400));
        var id = Guid.NewGuid();
        var path = Path.Combine(folder, id + ".jsonl");
        File.WriteAllText(path, Line(id, "user", text, null, Guid.NewGuid()) + "\n");
        File.SetLastWriteTimeUtc(path, Settled);
        var index = NewIndex();
        index.Update([(id.ToString(), path)]);

        var match = Assert.Single(index.Matches(SearchQuery.Parse("zebrafish"), [path], limit: 5)[path]);
        Assert.Contains("zebrafish", match.Snippet, StringComparison.Ordinal);
        Assert.InRange(match.Snippet.Length, 100, 300);
        Assert.StartsWith("…", match.Snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", match.Snippet, StringComparison.Ordinal);
        Assert.True(System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(match.Snippet)) == match.Snippet, "no half surrogate pair");
    }

    [Theory]
    [InlineData("zebra fish", new[] { "zebra", "fish" }, new[] { false, false })]
    [InlineData("\"task number 814\" module", new[] { "task number 814", "module" }, new[] { true, false })]
    [InlineData("\"open quote", new[] { "\"open", "quote" }, new[] { false, false })]
    [InlineData("a NEAR b OR -c *", new[] { "a", "NEAR", "b", "OR", "-c", "*" }, new[] { false, false, false, false, false, false })]
    [InlineData("\"\"", new[] { "\"\"" }, new[] { true })]
    public void A_query_is_words_and_quoted_phrases_and_nothing_else(string query, string[] texts, bool[] phrases)
    {
        var terms = SearchQuery.Parse(query).Terms;
        Assert.Equal(texts, terms.Select(term => term.Text));
        Assert.Equal(phrases, terms.Select(term => term.IsPhrase));
    }

    private SearchIndex NewIndex() => SearchIndex.Open(SessionStore.Open(environment.StoreDirectory), new TestLog(null));

    private static List<string> Find(SearchIndex index, string query, params (string SessionId, string Path)[] transcripts) =>
        index.Find(SearchQuery.Parse(query), transcripts.Select(t => t.Path).ToHashSet()).ToList();

    private (string SessionId, string Path) Write(string prompt, bool settle = true)
    {
        var sessionId = Guid.NewGuid();
        var path = Path.Combine(folder, sessionId + ".jsonl");
        var user = Guid.NewGuid();
        File.WriteAllText(path, Line(sessionId, "user", prompt, null, user) + "\n" + Line(sessionId, "assistant", "answer", user, Guid.NewGuid()) + "\n");
        if (settle)
        {
            File.SetLastWriteTimeUtc(path, Settled);
        }

        return (sessionId.ToString(), path);
    }

    private string Line(Guid sessionId, string type, string text, Guid? parent, Guid uuid) => Line(sessionId.ToString(), type, text, parent, uuid);

    private string Line(string sessionId, string type, string text, Guid? parent, Guid uuid) =>
        new Newtonsoft.Json.Linq.JObject
        {
            ["parentUuid"] = parent?.ToString(),
            ["isSidechain"] = false,
            ["type"] = type,
            ["message"] = new Newtonsoft.Json.Linq.JObject { ["role"] = type, ["content"] = text },
            ["uuid"] = uuid.ToString(),
            ["timestamp"] = "2026-01-01T00:00:00.000Z",
            ["cwd"] = environment.Workspace,
            ["sessionId"] = sessionId,
        }.ToString(Newtonsoft.Json.Formatting.None);
}
