using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>Bounded reads of a JSONL transcript: never the whole of a multi-megabyte file.</summary>
public static class TranscriptLines
{
    /// <summary>The complete lines within the first <paramref name="maxBytes"/> bytes.</summary>
    public static IEnumerable<string> ReadHead(string path, int maxBytes)
    {
        using var stream = OpenForReading(path);
        var buffer = new byte[(int)Math.Min(maxBytes, Math.Max(stream.Length, 0))];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var complete = read < maxBytes ? read : LastNewline(buffer, read) + 1;
        return SplitLines(buffer.AsSpan(0, complete));
    }

    /// <summary>The complete lines within the last <paramref name="maxBytes"/> bytes (the first, likely cut, is dropped unless the read began at the start).</summary>
    public static IEnumerable<string> ReadTail(string path, int maxBytes)
    {
        using var stream = OpenForReading(path);
        var start = Math.Max(0, stream.Length - maxBytes);
        stream.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[stream.Length - start];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var lines = SplitLines(buffer.AsSpan(0, read));
        return start == 0 ? lines : lines.Skip(1);
    }

    /// <summary>The nesting depth <see cref="CreateReader"/> allows unless told otherwise.</summary>
    public const int DefaultMaxDepth = 128;

    /// <summary>
    /// The one place JSON text is read into a <see cref="JToken"/> (RS0030 bans the rest): dates stay strings, since
    /// Newtonsoft's default turns them into <see cref="DateTime"/> and writes them back reformatted
    /// ("2026-01-01T00:00:00.100Z" became "2026-01-01T00:00:00.1Z").
    /// </summary>
    public static JsonTextReader CreateReader(TextReader text, int? maxDepth = DefaultMaxDepth) =>
#pragma warning disable RS0030 // The configured reader is made here.
        new(text) { DateParseHandling = DateParseHandling.None, MaxDepth = maxDepth };
#pragma warning restore RS0030

    /// <summary>JSON text as a token, dates kept as written.</summary>
    /// <exception cref="JsonReaderException">The text is not one JSON value.</exception>
    public static JToken Parse(string json)
    {
        using var reader = CreateReader(new StringReader(json));
        var token = JToken.ReadFrom(reader, LoadSettings);
        return reader.Read() ? throw new JsonReaderException($"Additional text after the JSON value, at position {reader.LinePosition}.") : token;
    }

    /// <summary>One transcript line as a JSON object, or null when it is not one. Dates stay strings.</summary>
    public static JObject? TryParseObject(string line)
    {
        try
        {
            using var reader = CreateReader(new StringReader(line));
            return JToken.ReadFrom(reader, LoadSettings) as JObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>No line numbers kept on every token: they cost memory and nothing here reads them.</summary>
    public static JsonLoadSettings LoadSettings { get; } = new() { LineInfoHandling = LineInfoHandling.Ignore };

    public static FileStream OpenForReading(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0 });

    private static int LastNewline(byte[] buffer, int length) => Array.LastIndexOf(buffer, (byte)'\n', length - 1);

    internal static List<string> SplitLines(ReadOnlySpan<byte> bytes)
    {
        var lines = new List<string>();
        foreach (var range in bytes.Split((byte)'\n'))
        {
            var line = Encoding.UTF8.GetString(bytes[range]).TrimEnd('\r');
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
    }
}
