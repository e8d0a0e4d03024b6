namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// Buffered byte reading for framing: lines with a length cap, exact-length bodies, skipping. A message costs one
/// array of its own size at most: a short one is a slice of the reader's buffer, valid until the next call; a long
/// line is gathered in buffer-sized chunks and joined once at its end; a long body is read straight into its array.
/// The buffer itself never grows, so nothing is held after a large message.
/// </summary>
internal sealed class FrameReader(Stream input)
{
    private const int BufferSize = 64 * 1024;
    private const int MinimumRead = 4096;

    private byte[] buffer = new byte[BufferSize];
    private int position;
    private int length;

    /// <summary>
    /// A line without its "\n" (and "\r"), or null at the end of input. A line over <paramref name="maxBytes"/> is
    /// skipped to its end, never held, and reported as too long.
    /// </summary>
    public async ValueTask<(ReadOnlyMemory<byte>? Line, bool TooLong)> ReadLineAsync(int maxBytes, CancellationToken cancellationToken)
    {
        List<byte[]>? chunks = null;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', position, length - position);
            var lineLength = (chunks?.Count ?? 0) * BufferSize + (newline < 0 ? length : newline) - position;
            if (lineLength > maxBytes)
            {
                return (null, await SkipLineAsync(cancellationToken));
            }

            if (newline >= 0)
            {
                var line = Join(chunks, buffer.AsMemory(position, newline - position));
                position = newline + 1;
                return (TrimCarriageReturn(line), false);
            }

            if (position == 0 && length == buffer.Length)
            {
                // A full buffer and no end of line yet: keep it as a chunk, read on into a new one.
                (chunks ??= []).Add(buffer);
                buffer = new byte[BufferSize];
                length = 0;
            }

            if (!await FillAsync(cancellationToken))
            {
                if (lineLength == 0)
                {
                    return (null, false);
                }

                // The last line, without a final newline.
                var last = Join(chunks, buffer.AsMemory(position, length - position));
                position = length;
                return (TrimCarriageReturn(last), false);
            }
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or null when the input ends first.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        if (count > buffer.Length - MinimumRead)
        {
            // Too big for the buffer: what is buffered, then the rest read straight into the body's own array.
            var body = new byte[count];
            var filled = Math.Min(count, length - position);
            buffer.AsSpan(position, filled).CopyTo(body);
            position += filled;
            var read = await input.ReadAtLeastAsync(body.AsMemory(filled), count - filled, throwOnEndOfStream: false, cancellationToken);
            return filled + read == count ? body : null;
        }

        while (length - position < count)
        {
            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }

        var slice = buffer.AsMemory(position, count);
        position += count;
        return slice;
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

    /// <summary>Drops bytes up to and including the next newline; false when the input ends first.</summary>
    private async ValueTask<bool> SkipLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', position, length - position);
            if (newline >= 0)
            {
                position = newline + 1;
                return true;
            }

            position = length;
            if (!await FillAsync(cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>Reads more input after what is buffered, first moving the unread bytes to the front when little room is left.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (buffer.Length - length < MinimumRead && position > 0)
        {
            buffer.AsSpan(position, length - position).CopyTo(buffer);
            length -= position;
            position = 0;
        }

        var read = await input.ReadAsync(buffer.AsMemory(length), cancellationToken);
        length += read;
        return read > 0;
    }

    /// <summary>A line kept in chunks and its last part, as one array (the only copy a long line costs).</summary>
    private static ReadOnlyMemory<byte> Join(List<byte[]>? chunks, ReadOnlyMemory<byte> last)
    {
        if (chunks is null)
        {
            return last;
        }

        var line = new byte[chunks.Count * BufferSize + last.Length];
        for (var i = 0; i < chunks.Count; i++)
        {
            chunks[i].CopyTo(line, i * BufferSize);
        }

        last.CopyTo(line.AsMemory(chunks.Count * BufferSize));
        return line;
    }

    private static ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line) => line.Length > 0 && line.Span[^1] == '\r' ? line[..^1] : line;
}
