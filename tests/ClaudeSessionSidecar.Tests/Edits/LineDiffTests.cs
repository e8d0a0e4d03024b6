using ClaudeSessionSidecar.Engine.Cli;

namespace ClaudeSessionSidecar.Tests.Edits;

/// <summary>The engine's hunks, in the shape of the CLI's <c>structuredPatch</c> (the figures here are what CLI 2.1.328 wrote).</summary>
public sealed class LineDiffTests
{
    private const string EightLines = "line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\n";

    [Fact]
    public void One_changed_line_gets_three_lines_of_context_each_side_as_the_CLI_writes_it()
    {
        var hunk = Assert.Single(LineDiff.Hunks(EightLines, EightLines.Replace("line5", "LINE FIVE", StringComparison.Ordinal)));

        Assert.Equal((2, 7, 2, 7), (hunk.OldStart, hunk.OldLines, hunk.NewStart, hunk.NewLines));
        Assert.Equal([" line2", " line3", " line4", "-line5", "+LINE FIVE", " line6", " line7", " line8"], hunk.Lines);
    }

    [Fact]
    public void A_text_without_a_final_newline_gets_the_marker_after_its_last_line()
    {
        var hunk = Assert.Single(LineDiff.Hunks(EightLines, "written by the fake model"));

        Assert.Equal((1, 8, 1, 1), (hunk.OldStart, hunk.OldLines, hunk.NewStart, hunk.NewLines));
        Assert.Equal("+written by the fake model", hunk.Lines[^2]);
        Assert.Equal("\\ No newline at end of file", hunk.Lines[^1]);
        Assert.Equal(8, hunk.Lines.Count(line => line.StartsWith('-')));
    }

    [Fact]
    public void A_new_file_is_all_lines_added_from_line_zero()
    {
        var hunk = Assert.Single(LineDiff.Hunks(null, "a\nb\n"));

        Assert.Equal((0, 0, 1, 2), (hunk.OldStart, hunk.OldLines, hunk.NewStart, hunk.NewLines));
        Assert.Equal(["+a", "+b"], hunk.Lines);
    }

    [Fact]
    public void The_same_text_has_no_hunks()
    {
        Assert.Empty(LineDiff.Hunks(EightLines, EightLines));
        Assert.Empty(LineDiff.Hunks(null, string.Empty));
    }

    [Fact]
    public void Changes_at_most_six_lines_apart_share_a_hunk_and_further_apart_do_not()
    {
        var lines = Enumerable.Range(1, 30).Select(number => $"l{number}").ToArray();
        var text = string.Join('\n', lines) + "\n";
        string With(params int[] changed) => string.Join('\n', lines.Select((line, index) => changed.Contains(index + 1) ? line + "!" : line)) + "\n";

        Assert.Single(LineDiff.Hunks(text, With(5, 12)));
        Assert.Equal(2, LineDiff.Hunks(text, With(5, 13)).Count);
    }

    [Fact]
    public void Every_hunk_applies_back_to_the_new_text_even_past_the_edit_distance_limit()
    {
        var random = new Random(7);
        for (var round = 0; round < 40; round++)
        {
            var size = round < 35 ? random.Next(0, 60) : 3000;
            var oldLines = Enumerable.Range(0, size).Select(_ => $"v{random.Next(8)}").ToList();
            var newLines = oldLines.Where(_ => random.Next(4) != 0).Select(line => random.Next(5) == 0 ? line + "x" : line).ToList();
            var oldText = string.Join('\n', oldLines) + "\n";
            var newText = string.Join('\n', newLines) + "\n";

            Assert.Equal(newText, Apply(oldText, LineDiff.Hunks(oldText, newText)));
        }
    }

    /// <summary>Applies hunks the way <c>patch</c> does, checking every context and removed line against the old text.</summary>
    private static string Apply(string oldText, IReadOnlyList<DiffHunk> hunks)
    {
        var oldLines = oldText.Split('\n')[..^1];
        var result = new List<string>();
        var next = 0;
        foreach (var hunk in hunks)
        {
            var start = Math.Max(hunk.OldStart - 1, 0);
            result.AddRange(oldLines[next..start]);
            next = start;
            foreach (var line in hunk.Lines.Where(line => !line.StartsWith('\\')))
            {
                if (line[0] != '+')
                {
                    Assert.Equal(oldLines[next], line[1..]);
                    next++;
                }

                if (line[0] != '-')
                {
                    result.Add(line[1..]);
                }
            }
        }

        result.AddRange(oldLines[next..]);
        return string.Join('\n', result) + "\n";
    }
}
