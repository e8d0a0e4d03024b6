using System.Buffers;
using System.Text.Json;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>Tokens of the Messages API's <c>usage</c> objects, summed.</summary>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, long CacheCreationInputTokens, long CacheReadInputTokens)
{
    public long Total => InputTokens + OutputTokens + CacheCreationInputTokens + CacheReadInputTokens;

    public static TokenUsage operator +(TokenUsage left, TokenUsage right) => new(
        left.InputTokens + right.InputTokens,
        left.OutputTokens + right.OutputTokens,
        left.CacheCreationInputTokens + right.CacheCreationInputTokens,
        left.CacheReadInputTokens + right.CacheReadInputTokens);
}

/// <summary>
/// What a session used, counted as ccusage (20.0.24, measured) counts it: every line whose <c>message.usage</c> is an
/// object and whose <c>timestamp</c> is a time, in the transcript and in its subagents' transcripts
/// (<c>&lt;session&gt;/subagents/*.jsonl</c>); an API message the CLI wrote over several lines (one per content
/// block, the same <c>message.id</c> and <c>requestId</c>) once, with its largest usage. Cache creation is the API's
/// own total (<c>cache_creation_input_tokens</c>, else the sum of the <c>cache_creation</c> breakdown).
/// </summary>
/// <remarks>
/// This is the one reader that needs every byte of a transcript, so it never parses a line it need not: only lines
/// holding <c>"usage"</c> (a key name the CLI never escapes; inside a JSON string the quotes would be escaped) are
/// read, with <see cref="Utf8JsonReader"/>, which skips the message content without building it.
/// </remarks>
public sealed class TranscriptUsage
{
    private const int ChunkBytes = 1024 * 1024;

    private static ReadOnlySpan<byte> UsageKey => "\"usage\""u8;

    /// <summary>By (message id, request id): the largest usage seen. Lines without a message id are summed at once.</summary>
    private readonly Dictionary<(string MessageId, string? RequestId), TokenUsage> messages = [];

    private TokenUsage unkeyed;

    public TokenUsage Total
    {
        get
        {
            var total = unkeyed;
            foreach (var usage in messages.Values)
            {
                total += usage;
            }

            return total;
        }
    }

    /// <summary>The usage of the session whose transcript is <paramref name="transcriptPath"/>, its subagents' included.</summary>
    /// <exception cref="IOException">The transcript cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The transcript cannot be read.</exception>
    public static TokenUsage Read(string transcriptPath)
    {
        using var handle = File.OpenHandle(transcriptPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var usage = new TranscriptUsage();
        usage.AddFile(handle, RandomAccess.GetLength(handle));
        usage.AddSubagents(transcriptPath);
        return usage.Total;
    }

    /// <summary>Counts the first <paramref name="length"/> bytes of an open transcript (its complete lines).</summary>
    public void AddFile(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length) => AddFile(handle, 0, length);

    /// <summary>Counts the bytes from <paramref name="from"/> (a line's start) to <paramref name="length"/> of an open transcript.</summary>
    /// <remarks>The buffer is pooled: a listing's first read of thousands of transcripts makes no large object per file.</remarks>
    public void AddFile(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long from, long length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(length - from, 1)));
        try
        {
            var filled = 0;
            var offset = from;
            while (offset < length)
            {
                if (filled == buffer.Length)
                {
                    // One line longer than the buffer: a larger one, to hold the line whole.
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = RandomAccess.Read(handle, buffer.AsSpan(filled, (int)Math.Min(buffer.Length - filled, length - offset)), offset);
                if (read == 0)
                {
                    break;
                }

                offset += read;
                filled += read;
                var complete = offset >= length ? filled : buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1;
                AddLines(buffer.AsSpan(0, complete));
                buffer.AsSpan(complete, filled - complete).CopyTo(buffer);
                filled -= complete;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Counts the lines of the session's subagents (<c>&lt;session&gt;/subagents/*.jsonl</c> beside the transcript); unreadable ones are skipped.</summary>
    public void AddSubagents(string transcriptPath)
    {
        var folder = Path.Combine(Path.GetDirectoryName(transcriptPath)!, Path.GetFileNameWithoutExtension(transcriptPath), "subagents");
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*" + TranscriptLocator.Extension, new EnumerationOptions { IgnoreInaccessible = true }))
        {
            try
            {
                using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                AddFile(handle, RandomAccess.GetLength(handle));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A subagent's file that cannot be read adds nothing; the session is still listed.
            }
        }
    }

    /// <summary>Counts whole lines (a last line without its new line included).</summary>
    public void AddLines(ReadOnlySpan<byte> text)
    {
        var position = 0;
        while (position < text.Length)
        {
            var found = text[position..].IndexOf(UsageKey);
            if (found < 0)
            {
                return;
            }

            var at = position + found;
            var start = text[..at].LastIndexOf((byte)'\n') + 1;
            var end = text[at..].IndexOf((byte)'\n');
            end = end < 0 ? text.Length : at + end;
            AddLine(text[start..end]);
            position = end + 1;
        }
    }

    private void AddLine(ReadOnlySpan<byte> line)
    {
        if (!TryReadEntry(line, out var messageId, out var requestId, out var usage))
        {
            return;
        }

        if (messageId is null)
        {
            unkeyed += usage;
        }
        else if (!messages.TryGetValue((messageId, requestId), out var seen) || usage.Total > seen.Total)
        {
            messages[(messageId, requestId)] = usage;
        }
    }

    /// <summary>A line's top-level <c>timestamp</c>, <c>requestId</c>, <c>message.id</c> and <c>message.usage</c>.</summary>
    private static bool TryReadEntry(ReadOnlySpan<byte> line, out string? messageId, out string? requestId, out TokenUsage usage)
    {
        messageId = null;
        requestId = null;
        usage = default;
        var hasTime = false;
        var hasUsage = false;
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    hasTime = reader.TokenType == JsonTokenType.String && TranscriptSummary.ParseTime(reader.GetString()!) is not null;
                }
                else if (reader.ValueTextEquals("requestId"u8))
                {
                    reader.Read();
                    requestId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadMessage(ref reader, ref messageId, ref usage, ref hasUsage);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return hasTime && hasUsage;
    }

    private static void ReadMessage(ref Utf8JsonReader reader, ref string? messageId, ref TokenUsage usage, ref bool hasUsage)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                messageId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    usage = ReadUsage(ref reader);
                    hasUsage = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        long input = 0, output = 0, cacheRead = 0, ephemeral = 0;
        long? cacheCreation = null;
        var hasBreakdown = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                input = Count(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = Count(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                cacheRead = Count(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                reader.Read();
                cacheCreation = reader.TokenType == JsonTokenType.Number ? Number(ref reader) : null;
            }
            else if (reader.ValueTextEquals("cache_creation"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                hasBreakdown = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    ephemeral += reader.ValueTextEquals("ephemeral_5m_input_tokens"u8) || reader.ValueTextEquals("ephemeral_1h_input_tokens"u8) ? Count(ref reader) : Skip(ref reader);
                }
            }
            else
            {
                Skip(ref reader);
            }
        }

        return new TokenUsage(input, output, cacheCreation ?? (hasBreakdown ? ephemeral : 0), cacheRead);
    }

    /// <summary>The next value as a token count: a number (rounded down), else 0.</summary>
    private static long Count(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number)
        {
            return Number(ref reader);
        }

        reader.Skip();
        return 0;
    }

    private static long Number(ref Utf8JsonReader reader) =>
        reader.TryGetInt64(out var count) ? Math.Max(count, 0)
        : reader.TryGetDouble(out var real) && double.IsFinite(real) && real > 0 ? (long)Math.Min(real, long.MaxValue) : 0;

    private static long Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
        return 0;
    }
}
