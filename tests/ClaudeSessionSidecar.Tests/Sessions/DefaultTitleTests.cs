using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Transcripts;

namespace ClaudeSessionSidecar.Tests.Sessions;

/// <summary>A session's default title: the prompt's first non-blank line, cut as the SDK cuts its first prompt (at 80 here).</summary>
public sealed class DefaultTitleTests
{
    [Fact]
    public void A_long_first_line_keeps_its_first_80_characters_then_an_ellipsis()
    {
        var line = string.Concat(Enumerable.Range(0, 9).Select(i => $"word{i} and ")) + "more";

        Assert.Equal(line[..80].Trim() + "…", SessionTurns.TitleFrom(line + "\nsecond line"));
        Assert.Equal(FirstPrompt.Shorten(line, 80), SessionTurns.TitleFrom(line));
        Assert.Equal(new string('x', 80), SessionTurns.TitleFrom(new string('x', 80)));
        Assert.Equal(new string('y', 80) + "…", SessionTurns.TitleFrom(new string('y', 120)));
    }

    [Fact]
    public void The_cut_never_splits_a_surrogate_pair_and_blank_lines_are_skipped()
    {
        var prompt = new string('a', 79) + "😀" + "tail";

        Assert.Equal(new string('a', 79) + "…", SessionTurns.TitleFrom(prompt));
        Assert.Equal("real title", SessionTurns.TitleFrom("\n   \n  real title  \nbody"));
    }
}
