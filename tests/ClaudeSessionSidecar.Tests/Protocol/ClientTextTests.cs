using ClaudeSessionSidecar.Engine.Diagnostics;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>How an error repeats a client's value: quoted, escaped, at most 200 code points, cut marked with the length.</summary>
public sealed class ClientTextTests
{
    private const string Emoji = "\U0001F600";

    [Fact]
    public void A_short_value_is_quoted_whole_with_control_characters_escaped()
    {
        Assert.Equal("\"rel/a\\\"b\\\\c\\n\\u0000\\u007f\"", ClientText.Quote("rel/a\"b\\c\n\0\u007f"));
        Assert.Equal("null", ClientText.Quote(null));
        Assert.Equal("\"\\ud800x\"", ClientText.Quote("\ud800x"));
    }

    [Fact]
    public void Two_hundred_emoji_are_two_hundred_characters_and_not_cut()
    {
        var value = string.Concat(Enumerable.Repeat(Emoji, 200));

        Assert.Equal(200, ClientText.CodePoints(value));
        Assert.Equal("\"" + value + "\"", ClientText.Quote(value));
    }

    [Fact]
    public void A_cut_keeps_200_code_points_and_never_splits_a_surrogate_pair()
    {
        // The 200th character is an emoji: both its halves are kept, and nothing of the next one.
        var value = new string('x', 199) + Emoji + Emoji + "yz";

        Assert.Equal("\"" + new string('x', 199) + Emoji + "…\" (203 characters, cut)", ClientText.Quote(value));
        Assert.Equal(new string('x', 199) + Emoji + "… (203 characters, cut)", ClientText.Cut(value));
    }

    [Fact]
    public void A_2_MB_value_is_cut_to_200_characters_with_its_length()
    {
        var quoted = ClientText.Quote(new string('A', 2 * 1024 * 1024));

        Assert.Equal("\"" + new string('A', 200) + "…\" (2097152 characters, cut)", quoted);
    }

    [Fact]
    public void Code_points_count_a_pair_once_and_a_lone_surrogate_once()
    {
        Assert.Equal(3, ClientText.CodePoints(Emoji + "a\ud800"));
        Assert.Equal(2, ClientText.CodePoints("\udc00\ud800"));
        Assert.Equal(0, ClientText.CodePoints(string.Empty));
    }
}
