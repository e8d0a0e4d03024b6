using System.Buffers;
using System.Text;
using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// <see cref="ConversationText.Read"/> without a <see cref="JObject"/> per line, for the search index's reading of
/// every transcript: each line is read with <see cref="Utf8JsonReader"/> straight from the file's bytes, keeping only
/// what <see cref="ConversationChain"/> looks at (type, uuid, parentUuid, isSidechain, isMeta, teamName, the
/// attachment's type, timestamp) and skipping every other value unread (the CLI's attachments, request shapes and
/// tool results are most of a transcript); a message's content is decoded only for a user or assistant line. The
/// chain is then <see cref="ConversationChain.Build"/>'s rule, on those fields. A line this reader cannot take
/// (not strict JSON, invalid UTF-8, too deep) is read as <see cref="ConversationChain"/> reads it (Newtonsoft), so the
/// answer is the same.
/// </summary>
internal static class ConversationTextReader
{
    private sealed class Entry
    {
        public string? Type;
        public string? Uuid;
        public string? Parent;
        public bool Sidechain;
        public bool Meta;
        public bool Team;
        public string? AttachmentType;
        public string? Timestamp;
        public string? Text;
        public int Position;

        public bool IsMessage => Type is "user" or "assistant";

        public bool IsCountable => !Sidechain && !Team && Type != "progress" && !(Type == "attachment" && AttachmentType == "fork_briefing");

        public bool IsShown => IsMessage && !Meta && !Sidechain && !Team;
    }

    private static readonly JsonReaderOptions Options = new() { MaxDepth = TranscriptLines.DefaultMaxDepth };

    public static IReadOnlyList<ConversationMessageText> Read(string path)
    {
        using var stream = TranscriptLines.OpenForReading(path);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(stream.Length, 0) + 1, Array.MaxLength));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = stream.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            var bytes = buffer.AsSpan(0, length);
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
            {
                // Not UTF-8 (StreamReader would decode it by its mark): the reading that knows how.
                return ConversationText.ReadSlowly(path);
            }

            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                bytes = bytes[3..];
            }

            return Messages(Entries(bytes));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The lines that can be part of a chain (a known type, a string uuid), in file order; lines end at \n, \r or \r\n as StreamReader's.</summary>
    private static List<Entry> Entries(ReadOnlySpan<byte> bytes)
    {
        var entries = new List<Entry>();
        while (bytes.Length > 0)
        {
            var end = bytes.IndexOfAny((byte)'\n', (byte)'\r');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            if (line.Length == 0)
            {
                continue;
            }

            Entry? entry;
            try
            {
                entry = Parse(line);
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException or ArgumentException or DecoderFallbackException)
            {
                entry = Slowly(line);
            }

            if (entry is { Type: "user" or "assistant" or "progress" or "system" or "attachment", Uuid: not null })
            {
                entry.Position = entries.Count;
                entries.Add(entry);
            }
        }

        return entries;
    }

    private static Entry? Parse(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(Options));
        if (!reader.Read())
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            // Not an object: no entry (as TryParseObject); anything else about it, Newtonsoft decides.
            return reader.TokenType is JsonTokenType.StartArray or JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null ? null : Slowly(line);
        }

        var entry = new Entry();
        var message = ReadOnlySpan<byte>.Empty;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                entry.Type = StringOrNull(ref reader);
            }
            else if (reader.ValueTextEquals("uuid"u8))
            {
                reader.Read();
                entry.Uuid = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("parentUuid"u8))
            {
                reader.Read();
                entry.Parent = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                entry.Timestamp = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("isSidechain"u8))
            {
                reader.Read();
                entry.Sidechain = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("isMeta"u8))
            {
                reader.Read();
                entry.Meta = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("teamName"u8))
            {
                // Any value, null too: the property is there (entry["teamName"] is not null).
                reader.Read();
                entry.Team = true;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("attachment"u8))
            {
                reader.Read();
                entry.AttachmentType = null;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    entry.AttachmentType = PropertyOf(ref reader, "type"u8);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                message = line[start..(int)reader.BytesConsumed];
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return Slowly(line);
        }

        if (entry.IsMessage && message.Length > 0)
        {
            entry.Text = TextOfMessage(message);
        }

        return entry;
    }

    /// <summary>A string value, or null (the reader left on the value's end).</summary>
    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            // Newtonsoft's (string?) of a container throws, which ConversationChain does not expect: decide as it does.
            throw new InvalidOperationException("not a string");
        }

        // A number or boolean is cast to its text by Newtonsoft; none is a chain type.
        return reader.TokenType == JsonTokenType.Null ? null : "\0";
    }

    private static string? SkipValue(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    /// <summary>An object's string property (the last of that name), the reader left on the object's end.</summary>
    private static string? PropertyOf(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        string? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                value = StringOrNull(ref reader);
            }

            reader.Skip();
        }

        return value;
    }

    /// <summary>The text of message.content: a string, or the text blocks of an array joined by new lines.</summary>
    private static string? TextOfMessage(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message, isFinalBlock: true, new JsonReaderState(Options));
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            // Newtonsoft's message?["content"] of a non-object: let it decide (it throws, or gives nothing).
            throw new InvalidOperationException("message is not an object");
        }

        string? text = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isContent = reader.ValueTextEquals("content"u8);
            reader.Read();
            if (!isContent)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType == JsonTokenType.String)
            {
                text = reader.GetString();
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                var parts = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    string? type = null, blockText = null;
                    var textIsString = false;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("type"u8))
                        {
                            reader.Read();
                            type = StringOrNull(ref reader);
                        }
                        else if (reader.ValueTextEquals("text"u8))
                        {
                            reader.Read();
                            textIsString = reader.TokenType == JsonTokenType.String;
                            blockText = textIsString ? reader.GetString() : SkipValue(ref reader);
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }

                    if (type == "text" && textIsString)
                    {
                        parts.Add(blockText!);
                    }
                }

                text = string.Join('\n', parts);
            }
            else
            {
                text = null;
                reader.Skip();
            }
        }

        return text;
    }

    /// <summary>A line as ConversationChain reads it (Newtonsoft), into the same fields.</summary>
    private static Entry? Slowly(ReadOnlySpan<byte> line)
    {
        var entries = ConversationChain.Entries([Encoding.UTF8.GetString(line)]);
        if (entries.Count == 0)
        {
            return null;
        }

        var json = entries[0];
        var entry = new Entry
        {
            Type = (string?)json["type"],
            Uuid = (string)json["uuid"]!,
            Parent = json["parentUuid"] is JValue { Type: JTokenType.String } parent ? (string?)parent : null,
            Sidechain = json["isSidechain"]?.Type == JTokenType.Boolean && (bool)json["isSidechain"]!,
            Meta = json["isMeta"]?.Type == JTokenType.Boolean && (bool)json["isMeta"]!,
            Team = json["teamName"] is not null,
            AttachmentType = (string?)json["attachment"]?["type"],
            Timestamp = json["timestamp"] is JValue { Type: JTokenType.String } time ? (string?)time : null,
        };
        if (entry.IsMessage)
        {
            entry.Text = ConversationText.TextOf(json["message"]?["content"]);
        }

        return entry;
    }

    /// <summary><see cref="ConversationChain.Build"/> on the fields, then the shown messages with text.</summary>
    private static List<ConversationMessageText> Messages(List<Entry> entries)
    {
        var byUuid = new Dictionary<string, Entry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            byUuid[entry.Uuid!] = entry;
        }

        var countable = byUuid.Values.Where(entry => entry.IsCountable).ToList();
        var continued = countable.Select(entry => entry.Parent).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var leaf = countable
            .Where(entry => !continued.Contains(entry.Uuid!))
            .OrderByDescending(entry => entry.Position)
            .Select(entry => UpToMessage(entry, byUuid))
            .FirstOrDefault(found => found is not null);
        if (leaf is null)
        {
            var parents = byUuid.Values.Select(entry => entry.Parent).OfType<string>().ToHashSet(StringComparer.Ordinal);
            leaf = byUuid.Values
                .Where(entry => !parents.Contains(entry.Uuid!))
                .Select(entry => UpToMessage(entry, byUuid))
                .OfType<Entry>()
                .OrderBy(entry => entry.IsCountable && !entry.Meta ? 1 : 0)
                .ThenBy(entry => entry.Position)
                .LastOrDefault();
        }

        var chain = new List<Entry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = leaf; current is not null && seen.Add(current.Uuid!);)
        {
            chain.Add(current);
            current = current.Parent is { } parent && byUuid.TryGetValue(parent, out var up) ? up : null;
        }

        chain.Reverse();
        var messages = new List<ConversationMessageText>();
        foreach (var entry in chain)
        {
            if (entry.IsShown && entry.Text is { Length: > 0 } text)
            {
                messages.Add(new ConversationMessageText(entry.Uuid!, entry.Type!, entry.Timestamp, text));
            }
        }

        return messages;
    }

    private static Entry? UpToMessage(Entry entry, Dictionary<string, Entry> byUuid)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = entry; current is not null && seen.Add(current.Uuid!);)
        {
            if (current.IsMessage)
            {
                return current;
            }

            current = current.Parent is { } parent && byUuid.TryGetValue(parent, out var up) ? up : null;
        }

        return null;
    }
}
