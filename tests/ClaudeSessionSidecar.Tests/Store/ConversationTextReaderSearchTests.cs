using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Store;

/// <summary>
/// The search index's reader of a transcript's conversation (System.Text.Json, fields only) gives what
/// <see cref="ConversationChain"/>'s JObjects give: on every transcript of the test data, and on lines it hands to
/// Newtonsoft (not strict JSON, cut, duplicate keys, odd types).
/// </summary>
public sealed class ConversationTextReaderSearchTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("css-reader-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string> Transcripts()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Repository.TestData(), "*.jsonl", SearchOption.AllDirectories).Where(file => !file.Contains("node_modules", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Repository.TestData(), file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void Gives_what_the_chain_of_JObjects_gives_for_test_data(string relative)
    {
        var path = Repository.TestData(relative);
        Assert.Equal(ConversationText.ReadSlowly(path), ConversationText.Read(path));
    }

    [Fact]
    public void Gives_what_the_chain_of_JObjects_gives_for_odd_lines()
    {
        var lines = new[]
        {
            "\uFEFF{\"type\":\"user\",\"uuid\":\"a\",\"parentUuid\":null,\"timestamp\":\"2026-01-01T00:00:00.100Z\",\"message\":{\"role\":\"user\",\"content\":\"first zebrafish\"}}",
            "{\"type\":\"assistant\",\"uuid\":\"b\",\"parentUuid\":\"a\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"tool_use\",\"text\":\"no\"},{\"type\":\"text\",\"text\":5},{\"type\":\"text\",\"text\":\"two\"}]}} trailing",
            "{'type':'user','uuid':'c','parentUuid':'b','message':{'content':'single quotes, Newtonsoft takes it'}}",
            "{\"type\":\"attachment\",\"uuid\":\"d\",\"parentUuid\":\"c\",\"attachment\":{\"type\":\"fork_briefing\"}}",
            "{\"type\":\"user\",\"uuid\":\"e\",\"parentUuid\":\"c\",\"isMeta\":true,\"message\":{\"content\":\"meta\"}}\r{\"type\":\"user\",\"uuid\":\"f\",\"parentUuid\":\"e\",\"teamName\":null,\"message\":{\"content\":\"team\"}}",
            "{\"type\":\"user\",\"uuid\":\"g\",\"parentUuid\":\"e\",\"type\":\"assistant\",\"message\":{\"content\":\"dup\\u00e9 keys \\n escaped\"},\"message\":{\"content\":\"the last one\"}}",
            "{\"type\":\"user\",\"uuid\":\"h\",\"parentUuid\":\"g\",\"isSidechain\":true,\"message\":{\"content\":\"side\"}}",
            "{\"type\":\"user\",\"uuid\":\"i\",\"parentUuid\":\"g\",\"message\":{\"content\":\"cut",
            "[1,2]",
            "",
            "   {\"type\":\"user\",\"uuid\":\"j\",\"parentUuid\":\"g\",\"timestamp\":5,\"message\":{\"content\":\"last \\ud83d\\ude00 emoji\"}}",
        };
        var path = Path.Combine(folder, "odd.jsonl");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        var expected = ConversationText.ReadSlowly(path);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ConversationText.Read(path));
    }
}
