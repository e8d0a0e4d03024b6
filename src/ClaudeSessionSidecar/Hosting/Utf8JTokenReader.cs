using System.Globalization;
using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// A wire message's UTF-8 bytes to a <see cref="JToken"/>, read straight from the bytes with System.Text.Json's
/// reader: each string is made once, at its size, and nothing else grows with the message. (Newtonsoft's text
/// reader decodes into a char buffer that doubles to hold the longest string, copying it on every doubling, so a
/// 2 MB string cost about 16 MB of short-lived large arrays.) The JSON must be strict (RFC 8259, valid UTF-8) and
/// nested at most <see cref="MaxDepth"/> deep. Dates stay strings; an integer that fits a long is an integer, any
/// other number a double (as Newtonsoft reads with <c>FloatParseHandling.Double</c>).
/// </summary>
internal static class Utf8JTokenReader
{
    public const int MaxDepth = 256;

    /// <summary>Parses one JSON value.</summary>
    /// <exception cref="JsonException">The bytes are not one JSON value, not UTF-8, or nested too deep.</exception>
    public static JToken Read(ReadOnlySpan<byte> utf8)
    {
        // A byte order mark is tolerated, as a UTF-8 StreamReader would.
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        var open = new Stack<JContainer>();
        string? propertyName = null;
        JToken? root = null;
        while (reader.Read())
        {
            JToken value;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    propertyName = StringOf(ref reader);
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.Pop();
                    continue;
                case JsonTokenType.StartObject:
                    value = new JObject();
                    break;
                case JsonTokenType.StartArray:
                    value = new JArray();
                    break;
                case JsonTokenType.String:
                    value = new JValue(StringOf(ref reader));
                    break;
                case JsonTokenType.Number:
                    value = NumberOf(ref reader);
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    value = new JValue(reader.GetBoolean());
                    break;
                default:
                    value = JValue.CreateNull();
                    break;
            }

            switch (open.Count == 0 ? null : open.Peek())
            {
                case null:
                    root = value;
                    break;
                case JObject members:
                    // A repeated name keeps the last value, as Newtonsoft does.
                    members[propertyName!] = value;
                    break;
                case JArray items:
                    items.Add(value);
                    break;
            }

            if (value is JContainer container)
            {
                open.Push(container);
            }
        }

        return root ?? throw new JsonException("The message is empty.");
    }

    private static string StringOf(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException exception)
        {
            throw new JsonException($"A string is not valid UTF-8 (byte {reader.TokenStartIndex}).", exception);
        }
    }

    private static JValue NumberOf(ref Utf8JsonReader reader)
    {
        var text = reader.ValueSpan;
        return text.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && reader.TryGetInt64(out var integer)
            ? new JValue(integer)
            : new JValue(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
