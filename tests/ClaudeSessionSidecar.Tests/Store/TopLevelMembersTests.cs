using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.Store;

/// <summary>
/// The strict one-pass reader of a line's members answers as parsing the line with Newtonsoft (the summary's reader
/// before it) does, and where it cannot be sure it says so, so that the line is parsed the lenient way.
/// </summary>
public sealed class TopLevelMembersTests
{
    public static TheoryData<string> Lines => new()
    {
        """{"type":"user","cwd":"/w","gitBranch":"main","message":{"role":"user","content":"a \"quoted\" cwd"}}""",
        """  {"cwd":"/first","cwd":"/last"}""",
        """{"cwd":"/w","cwd":{"nested":"object"}}""",
        """{"c\u0077d":"/escaped name","gitBranch":"caf\u00e9 \ud83d\ude00"}""",
        """{"cwd":"/w"} trailing words after the object""",
        """{"cwd":"/w"}{"cwd":"/second object"}""",
        """{"cwd":"/w","message":{"content":[1,2,{"deep":[[[]]]}]}""",
        """{"cwd":"/truncated","message":{"content":"the line was cut""",
        """["cwd","/an array"]""",
        "\"cwd\"",
        "",
        """{"cwd":7,"isSidechain":true,"parentUuid":null}""",
        """{"isSidechain":false,"sessionKind":"daemon","parentUuid":"p"}""",
        """{/* a comment */"cwd":"/w"}""",
        """{'cwd':'/single quotes'}""",
        """{"cwd":"/w",}""",
        """{"cwd":"lone \ud800 surrogate"}""",
        """{"cwd":NaN}""",
        "{\"cwd\":\"raw\ttab\"}",
        "\uFEFF{\"cwd\":\"/after a byte order mark\"}",
        """{"n":123456789012345678901234567890,"f":1e400,"cwd":"/big numbers"}""",
        "{\"cwd\":\"/deep\",\"x\":" + new string('[', 120) + new string(']', 120) + "}",
        "{\"cwd\":\"/deeper than Newtonsoft allows\",\"x\":" + new string('[', 140) + new string(']', 140) + "}",
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Each_member_is_what_parsing_the_line_gives_or_the_reader_leaves_it_to_parsing(string line)
    {
        var bytes = Encoding.UTF8.GetBytes("garbage before\n" + line + "\nafter");
        var start = Encoding.UTF8.GetByteCount("garbage before\n");
        var members = TopLevelMembers.Read(bytes, start..(start + Encoding.UTF8.GetByteCount(line)));
        var parsed = TranscriptLines.TryParseObject(line);
        if (members is null)
        {
            return;
        }

        Assert.Equal(parsed is not null, members.IsObject);
        foreach (var name in new[] { "cwd", "gitBranch", "isSidechain", "parentUuid", "sessionKind", "type", "missing" })
        {
            Assert.Equal(parsed?.ContainsKey(name) ?? false, members.Has(name));
            if (members.TryString(name, out var value))
            {
                Assert.Equal(parsed?[name] is JValue { Type: JTokenType.String } text ? (string)text! : null, value);
            }
        }

        Assert.Equal(parsed?["isSidechain"]?.Type == JTokenType.Boolean && (bool)parsed["isSidechain"]!, members.TypeOf("isSidechain") == System.Text.Json.JsonTokenType.True);
    }

    [Theory]
    [InlineData("""{/* a comment */"cwd":"/w"}""")]
    [InlineData("""{'cwd':'/single quotes'}""")]
    [InlineData("""{"cwd":"/w",}""")]
    [InlineData("""{"cwd":"/truncated","message":{"content":"the line was cut""")]
    [InlineData("")]
    public void What_only_a_lenient_reader_takes_is_left_to_it(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        Assert.Null(TopLevelMembers.Read(bytes, ..));
    }

    [Fact]
    public void A_string_it_cannot_decode_is_left_to_parsing()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"cwd":"lone \ud800 surrogate","gitBranch":"main"}""");
        var members = TopLevelMembers.Read(bytes, ..);

        Assert.NotNull(members);
        Assert.False(members.TryString("cwd", out _));
        Assert.True(members.TryString("gitBranch", out var branch));
        Assert.Equal("main", branch);
    }

    public static TheoryData<string> UserLines => new()
    {
        """{"type":"user","message":{"role":"user","content":"Fix the build"}}""",
        """{"type":"user","message":{"content":"first","content":"the last content wins"}}""",
        """{"type":"user","message":{"content":[{"type":"text","text":"<command-name>/review</command-name>"},{"type":"text","text":"  "},{"type":"text","text":"after the command"}]}}""",
        """{"type":"user","message":{"content":[{"type":"image","source":{"data":"x"}},{"type":"text","text":"see the image","text":"the last text wins"}]}}""",
        """{"type":"user","message":{"content":[{"type":"text","text":"<bash-input>ls -la</bash-input>"}]}}""",
        """{"type":"user","message":{"content":[{"type":"tool_use_result_like","text":"not a text block"},{"type":"text","text":"<local-command-stdout>x</local-command-stdout>"},"a bare string block",{"type":"text","text":"[Request interrupted by user]"},{"type":"text","text":"the prompt"}]}}""",
        """{"type":"user","message":{"content":[{"type":"text","text":"<pasted_content id=\"1\">pasted\nlines</pasted_content id=\"1\"> and more"}]}}""",
        """{"type":"user","message":{"content":[{"type":{"odd":"type"},"text":"a block whose type is an object"},{"type":"text","text":"next"}]}}""",
        """{"type":"user","message":{"content":[{"type":"text","text":7},{"type":"text","text":"caf\u00e9 \ud83d\ude00 long enough to be cut? no"}]}}""",
        """{"type":"user","message":{"content":[{"type":"text","text":"lone \ud800 surrogate"}]}}""",
        """{"type":"user","message":{"content":42}}""",
        """{"type":"user","message":{}}""",
    };

    [Theory]
    [MemberData(nameof(UserLines))]
    public void A_user_lines_prompt_read_strictly_is_the_one_parsing_gives(string line)
    {
        var members = TopLevelMembers.Read(Encoding.UTF8.GetBytes(line), ..);
        Assert.NotNull(members);
        string? expectedFallback = null, fallback = null;
        var expected = FirstPrompt.FromLine(line, ref expectedFallback);

        if (FirstPrompt.TryFromMessage(members.Value("message"), ref fallback, out var prompt))
        {
            Assert.Equal(expected, prompt);
            Assert.Equal(expectedFallback, fallback);
        }
        else
        {
            // Left to the lenient reader: only a string the strict one cannot decode.
            Assert.Contains("\\ud800", line);
            Assert.Null(fallback);
        }
    }
}
