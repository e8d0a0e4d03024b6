namespace ClaudeSessionSidecar.Hosting;

/// <summary>Buffered byte reading for framing: lines with a length cap, exact-length bodies, skipping.</summary>
internal sealed class FrameReader(Stream input)
{
    private readonly byte[] buffer = new byte[64 * 1024];
    private int position;
    private int length;

    /// <summary>A line without its "\n" (and "\r"), or null at the end of input. A line over <paramref name="maxBytes"/> is skipped to its end and reported as too long.</summary>
    public async ValueTask<(byte[]? Line, bool TooLong)> ReadLineAsync(int maxBytes, CancellationToken cancellationToken)
    {
        using var line = new MemoryStream();
        var tooLong = false;
        while (true)
        {
            if (position == length && !await FillAsync(cancellationToken))
            {
                return line.Length == 0 && !tooLong ? (null, false) : (tooLong ? null : TrimCarriageReturn(line.ToArray()), tooLong);
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', position, length - position);
            var end = newline < 0 ? length : newline;
            if (!tooLong)
            {
                await line.WriteAsync(buffer.AsMemory(position, end - position), cancellationToken);
                tooLong = line.Length > maxBytes;
                if (tooLong)
                {
                    line.SetLength(0);
                }
            }

            position = newline < 0 ? length : newline + 1;
            if (newline >= 0)
            {
                return tooLong ? (null, true) : (TrimCarriageReturn(line.ToArray()), false);
            }
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or null when the input ends first.</summary>
    public async ValueTask<byte[]?> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (position == length && !await FillAsync(cancellationToken))
            {
                return null;
            }

            var take = Math.Min(count - filled, length - position);
            Buffer.BlockCopy(buffer, position, result, filled, take);
            position += take;
            filled += take;
        }

        return result;
    }

    /// <summary>Discards up to <paramref name="count"/> bytes without keeping them.</summary>
    public async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (position == length && !await FillAsync(cancellationToken))
            {
                return;
            }

            var take = (int)Math.Min(count, length - position);
            position += take;
            count -= take;
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        position = 0;
        length = await input.ReadAsync(buffer, cancellationToken);
        return length > 0;
    }

    private static byte[] TrimCarriageReturn(byte[] line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
}
