using System.Text;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>Reads lines with a length cap: a longer line is skipped to its end, never held in memory whole.</summary>
internal sealed class BoundedLineReader(TextReader reader, int maxChars)
{
    private readonly char[] buffer = new char[64 * 1024];
    private int position;
    private int length;

    /// <returns>The next line; or <c>Line: null</c> with the skipped length for a line over the cap; or <c>(null, 0)</c> at the end.</returns>
    public async Task<(string? Line, long SkippedLength)> ReadLineAsync()
    {
        var line = new StringBuilder();
        long skipped = 0;
        while (true)
        {
            if (position == length)
            {
                position = 0;
                length = await reader.ReadAsync(buffer);
                if (length == 0)
                {
                    return skipped > 0 ? (null, skipped) : line.Length > 0 ? (line.ToString(), 0) : (null, 0);
                }
            }

            var newline = Array.IndexOf(buffer, '\n', position, length - position);
            var end = newline < 0 ? length : newline;
            if (skipped > 0 || line.Length + (end - position) > maxChars)
            {
                skipped += line.Length + (end - position);
                line.Clear();
            }
            else
            {
                line.Append(buffer, position, end - position);
            }

            position = newline < 0 ? length : newline + 1;
            if (newline >= 0)
            {
                return skipped > 0 ? (null, skipped) : (line.ToString().TrimEnd('\r'), 0);
            }
        }
    }
}
