namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>
/// One hunk of a unified diff, in the shape of the CLI's own <c>structuredPatch</c> (jsdiff's): 1-based starts, each
/// line prefixed with <c>' '</c>, <c>'-'</c> or <c>'+'</c>, and <c>\ No newline at end of file</c> after a file's
/// last line that has none. A new file's hunk starts at 0 on the old side.
/// </summary>
public sealed record DiffHunk(int OldStart, int OldLines, int NewStart, int NewLines, IReadOnlyList<string> Lines);

/// <summary>A line diff (Myers' algorithm, after the common first and last lines are set aside), cut into hunks with three lines of context.</summary>
public static class LineDiff
{
    public const int ContextLines = 3;

    /// <summary>Past this many inserted and deleted lines, the changed middle is shown as removed, then added (still a true diff, only not the shortest).</summary>
    private const int MaxEditDistance = 1000;

    private const string NoNewline = "\\ No newline at end of file";

    private enum Op : byte
    {
        Equal,
        Delete,
        Insert,
    }

    private readonly record struct Step(Op Op, int OldIndex, int NewIndex);

    public static IReadOnlyList<DiffHunk> Hunks(string? oldText, string newText)
    {
        var oldLines = SplitLines(oldText ?? string.Empty);
        var newLines = SplitLines(newText);
        var script = Script(oldLines, newLines);
        var hunks = new List<DiffHunk>();
        var index = 0;
        while (index < script.Count)
        {
            if (script[index].Op == Op.Equal)
            {
                index++;
                continue;
            }

            // A hunk: up to three equal lines before the first change, and it runs on while the next change is at most
            // six equal lines away.
            var start = Math.Max(0, index - ContextLines);
            while (start < index && script[start].Op != Op.Equal)
            {
                start++;
            }

            var end = index;
            while (true)
            {
                while (end < script.Count && script[end].Op != Op.Equal)
                {
                    end++;
                }

                var equalRun = 0;
                while (end + equalRun < script.Count && script[end + equalRun].Op == Op.Equal)
                {
                    equalRun++;
                }

                if (end + equalRun < script.Count && equalRun <= 2 * ContextLines)
                {
                    end += equalRun;
                    continue;
                }

                end += Math.Min(equalRun, ContextLines);
                break;
            }

            hunks.Add(Hunk(script, start, end, oldLines, newLines));
            index = end;
        }

        return hunks;
    }

    private static DiffHunk Hunk(List<Step> script, int start, int end, string[] oldLines, string[] newLines)
    {
        var lines = new List<string>();
        int oldCount = 0, newCount = 0;
        int? oldStart = null, newStart = null;
        for (var position = start; position < end; position++)
        {
            var step = script[position];
            var (prefix, text, isLast) = step.Op switch
            {
                Op.Delete => ('-', oldLines[step.OldIndex], step.OldIndex == oldLines.Length - 1),
                Op.Insert => ('+', newLines[step.NewIndex], step.NewIndex == newLines.Length - 1),
                _ => (' ', oldLines[step.OldIndex], step.OldIndex == oldLines.Length - 1 || step.NewIndex == newLines.Length - 1),
            };
            if (step.Op != Op.Insert)
            {
                oldStart ??= step.OldIndex + 1;
                oldCount++;
            }

            if (step.Op != Op.Delete)
            {
                newStart ??= step.NewIndex + 1;
                newCount++;
            }

            lines.Add(prefix + text.TrimEnd('\n'));
            if (isLast && !text.EndsWith('\n'))
            {
                lines.Add(NoNewline);
            }
        }

        // A side with no line in the hunk starts where it would be inserted (0 for an empty file), as jsdiff says it.
        oldStart ??= OldPositionBefore(script, start);
        newStart ??= NewPositionBefore(script, start);
        return new DiffHunk(oldStart.Value, oldCount, newStart.Value, newCount, lines);
    }

    private static int OldPositionBefore(List<Step> script, int position)
    {
        for (var before = position - 1; before >= 0; before--)
        {
            if (script[before].Op != Op.Insert)
            {
                return script[before].OldIndex + 1;
            }
        }

        return 0;
    }

    private static int NewPositionBefore(List<Step> script, int position)
    {
        for (var before = position - 1; before >= 0; before--)
        {
            if (script[before].Op != Op.Delete)
            {
                return script[before].NewIndex + 1;
            }
        }

        return 0;
    }

    /// <summary>Lines with their line feed kept, so a last line without one differs from the same line with one.</summary>
    private static string[] SplitLines(string text)
    {
        var lines = new List<string>();
        var from = 0;
        while (from < text.Length)
        {
            var feed = text.IndexOf('\n', from);
            var to = feed < 0 ? text.Length : feed + 1;
            lines.Add(text[from..to]);
            from = to;
        }

        return [.. lines];
    }

    private static List<Step> Script(string[] oldLines, string[] newLines)
    {
        var prefix = 0;
        while (prefix < oldLines.Length && prefix < newLines.Length && oldLines[prefix] == newLines[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < oldLines.Length - prefix && suffix < newLines.Length - prefix
            && oldLines[oldLines.Length - 1 - suffix] == newLines[newLines.Length - 1 - suffix])
        {
            suffix++;
        }

        var script = new List<Step>(Math.Max(oldLines.Length, newLines.Length));
        for (var line = 0; line < prefix; line++)
        {
            script.Add(new Step(Op.Equal, line, line));
        }

        Middle(oldLines, prefix, oldLines.Length - suffix, newLines, prefix, newLines.Length - suffix, script);
        for (var line = 0; line < suffix; line++)
        {
            script.Add(new Step(Op.Equal, oldLines.Length - suffix + line, newLines.Length - suffix + line));
        }

        return script;
    }

    /// <summary>Myers' greedy shortest edit script for <c>old[oldFrom..oldTo)</c> against <c>new[newFrom..newTo)</c>, deletions before insertions.</summary>
    private static void Middle(string[] oldLines, int oldFrom, int oldTo, string[] newLines, int newFrom, int newTo, List<Step> script)
    {
        var n = oldTo - oldFrom;
        var m = newTo - newFrom;
        var maxDistance = Math.Min(n + m, MaxEditDistance);
        var offset = maxDistance + 1;
        var frontier = new int[2 * maxDistance + 3];
        var trace = new List<int[]>();
        for (var distance = 0; distance <= maxDistance; distance++)
        {
            trace.Add((int[])frontier.Clone());
            for (var diagonal = -distance; diagonal <= distance; diagonal += 2)
            {
                var x = diagonal == -distance || (diagonal != distance && frontier[offset + diagonal - 1] < frontier[offset + diagonal + 1])
                    ? frontier[offset + diagonal + 1]
                    : frontier[offset + diagonal - 1] + 1;
                var y = x - diagonal;
                while (x < n && y < m && oldLines[oldFrom + x] == newLines[newFrom + y])
                {
                    x++;
                    y++;
                }

                frontier[offset + diagonal] = x;
                if (x >= n && y >= m)
                {
                    Backtrack(trace, offset, n, m, oldFrom, newFrom, script);
                    return;
                }
            }
        }

        for (var line = oldFrom; line < oldTo; line++)
        {
            script.Add(new Step(Op.Delete, line, newFrom));
        }

        for (var line = newFrom; line < newTo; line++)
        {
            script.Add(new Step(Op.Insert, oldTo, line));
        }
    }

    private static void Backtrack(List<int[]> trace, int offset, int n, int m, int oldFrom, int newFrom, List<Step> script)
    {
        var steps = new List<Step>();
        int x = n, y = m;
        for (var distance = trace.Count - 1; distance >= 0; distance--)
        {
            var frontier = trace[distance];
            var diagonal = x - y;
            var previousDiagonal = diagonal == -distance || (diagonal != distance && frontier[offset + diagonal - 1] < frontier[offset + diagonal + 1])
                ? diagonal + 1
                : diagonal - 1;
            var previousX = frontier[offset + previousDiagonal];
            var previousY = previousX - previousDiagonal;
            while (x > previousX && y > previousY)
            {
                x--;
                y--;
                steps.Add(new Step(Op.Equal, oldFrom + x, newFrom + y));
            }

            if (distance > 0)
            {
                steps.Add(x == previousX ? new Step(Op.Insert, oldFrom + x, newFrom + previousY) : new Step(Op.Delete, oldFrom + previousX, newFrom + y));
            }

            x = previousX;
            y = previousY;
        }

        steps.Reverse();
        script.AddRange(steps);
    }
}
