using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// The first thing a person typed in a session, by the official Agent SDK's rule (TestData/sdk-interop/FINDINGS.md,
/// section 8), so that both show the same text: user lines only, no tool results, meta or compact summaries, no
/// text that starts with a tag or an interruption notice; a slash command is the fallback; 200 characters at most.
/// </summary>
public static partial class FirstPrompt
{
    public const int MaxLength = 200;

    /// <param name="lines">The transcript's first lines (the SDK reads its first 64 KiB).</param>
    public static string? From(IEnumerable<string> lines)
    {
        string? commandFallback = null;
        foreach (var line in lines)
        {
            if (FromLine(line, ref commandFallback) is { } prompt)
            {
                return prompt;
            }
        }

        return commandFallback;
    }

    /// <summary>One line's prompt, for a caller that reads lines one at a time; a slash command only sets <paramref name="commandFallback"/> (the first one wins).</summary>
    public static string? FromLine(string line, ref string? commandFallback)
    {
        if (!IsUserLine(line))
        {
            return null;
        }

        if (line.Contains("\"tool_result\"", StringComparison.Ordinal) || line.Contains("\"isMeta\":true", StringComparison.Ordinal) || line.Contains("\"isCompactSummary\":true", StringComparison.Ordinal))
        {
            return null;
        }

        if (TranscriptLines.TryParseObject(line) is not { } entry || JsonFields.StringOf(entry["type"]) != "user" || entry["message"] is not JObject message)
        {
            return null;
        }

        return FromTexts(Texts(message["content"]), ref commandFallback);
    }

    /// <summary>
    /// <see cref="FromLine"/> for a line already known to pass its tests (a user line, none of the markers it refuses,
    /// its <c>message</c> an object), from that message's JSON text with the strict reader, building no tree.
    /// </summary>
    /// <returns>False when the strict reader cannot read the message: then <see cref="FromLine"/> must answer.</returns>
    internal static bool TryFromMessage(ReadOnlySpan<byte> message, ref string? commandFallback, out string? prompt)
    {
        prompt = null;
        List<string> texts;
        try
        {
            texts = ContentTexts(message);
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or InvalidOperationException)
        {
            return false;
        }

        prompt = FromTexts(texts, ref commandFallback);
        return true;
    }

    private static string? FromTexts(IEnumerable<string> texts, ref string? commandFallback)
    {
        foreach (var raw in texts)
        {
            var text = PastedContent().Replace(raw, "$1").Replace('\n', ' ').Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (CommandName().Match(text) is { Success: true } command)
            {
                commandFallback ??= command.Groups[1].Value;
                continue;
            }

            if (BashInput().Match(text) is { Success: true } bash)
            {
                return "! " + bash.Groups[1].Value.Trim();
            }

            if (StartsWithTag().IsMatch(text) || text.StartsWith("[Request interrupted by user", StringComparison.Ordinal))
            {
                continue;
            }

            return Shorten(text);
        }

        return null;
    }

    /// <summary>
    /// What <see cref="Texts"/> gives for the message's <c>content</c> (its last, for a repeated name): a string, or
    /// the string <c>text</c> of each <c>text</c> block up to the first <c>tool_result</c> block.
    /// </summary>
    private static List<string> ContentTexts(ReadOnlySpan<byte> message)
    {
        var reader = new System.Text.Json.Utf8JsonReader(message);
        var texts = new List<string>();
        reader.Read();
        while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            var isContent = reader.ValueTextEquals("content"u8);
            reader.Read();
            if (!isContent)
            {
                reader.Skip();
                continue;
            }

            texts = [];
            if (reader.TokenType == System.Text.Json.JsonTokenType.String)
            {
                texts.Add(reader.GetString()!);
            }
            else if (reader.TokenType == System.Text.Json.JsonTokenType.StartArray)
            {
                var stopped = false;
                while (reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndArray)
                {
                    if (reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    var (type, text) = TypeAndText(ref reader);
                    stopped |= type == "tool_result";
                    if (!stopped && type == "text" && text is not null)
                    {
                        texts.Add(text);
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return texts;
    }

    /// <summary>A block's string <c>type</c> and <c>text</c> (the last of each), the reader left on the block's end.</summary>
    private static (string? Type, string? Text) TypeAndText(ref System.Text.Json.Utf8JsonReader reader)
    {
        string? type = null, text = null;
        while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("type"u8) ? 1 : reader.ValueTextEquals("text"u8) ? 2 : 0;
            reader.Read();
            var value = reader.TokenType == System.Text.Json.JsonTokenType.String ? reader.GetString() : null;
            reader.Skip();
            if (name == 1)
            {
                type = value;
            }
            else if (name == 2)
            {
                text = value;
            }
        }

        return (type, text);
    }

    /// <summary>The SDK's cut: at most <paramref name="maxLength"/> UTF-16 units (never half a surrogate pair), trimmed, then "…".</summary>
    public static string Shorten(string text, int maxLength = MaxLength)
    {
        if (text.Length <= maxLength)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[maxLength - 1]) ? maxLength - 1 : maxLength;
        return text[..cut].Trim() + "…";
    }

    /// <summary>
    /// The SDK's last resort for a session's summary when no prompt has text: "Image" or "Document" for the first
    /// user line (not a tool result, not meta) holding such a block; null when there is none.
    /// </summary>
    public static string? AttachmentKind(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            if (!IsUserLine(line) || line.Contains("\"tool_result\"", StringComparison.Ordinal)
                || line.Contains("\"isMeta\":true", StringComparison.Ordinal) || line.Contains("\"isMeta\": true", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.Contains("\"type\":\"image\"", StringComparison.Ordinal) || line.Contains("\"type\": \"image\"", StringComparison.Ordinal))
            {
                return "Image";
            }

            if (line.Contains("\"type\":\"document\"", StringComparison.Ordinal) || line.Contains("\"type\": \"document\"", StringComparison.Ordinal))
            {
                return "Document";
            }
        }

        return null;
    }

    /// <summary>The text of an assistant line (its first non-blank text, on one line, shortened as prompts are); null for any other line.</summary>
    public static string? AssistantText(string line)
    {
        if (!line.Contains("\"type\":\"assistant\"", StringComparison.Ordinal) && !line.Contains("\"type\": \"assistant\"", StringComparison.Ordinal))
        {
            return null;
        }

        if (TranscriptLines.TryParseObject(line) is not { } entry || (string?)entry["type"] != "assistant" || entry["message"] is not JObject message)
        {
            return null;
        }

        return Texts(message["content"]).Select(text => text.Replace('\n', ' ').Trim()).FirstOrDefault(text => text.Length > 0) is { } found ? Shorten(found) : null;
    }

    /// <summary>
    /// <see cref="FromLine"/>'s tests on the text (a user line, no tool result, meta or compact summary), asked of the
    /// line's UTF-8 bytes: the needles are ASCII, so they are in the bytes exactly when they are in the text.
    /// </summary>
    internal static bool MayHoldPrompt(ReadOnlySpan<byte> line) =>
        (line.IndexOf("\"type\":\"user\""u8) >= 0 || line.IndexOf("\"type\": \"user\""u8) >= 0)
        && line.IndexOf("\"tool_result\""u8) < 0 && line.IndexOf("\"isMeta\":true"u8) < 0 && line.IndexOf("\"isCompactSummary\":true"u8) < 0;

    private static bool IsUserLine(string line) =>
        line.Contains("\"type\":\"user\"", StringComparison.Ordinal) || line.Contains("\"type\": \"user\"", StringComparison.Ordinal);

    private static IEnumerable<string> Texts(JToken? content)
    {
        if (content is JValue { Type: JTokenType.String } plain)
        {
            yield return (string)plain!;
            yield break;
        }

        if (content is not JArray blocks)
        {
            yield break;
        }

        foreach (var block in blocks.OfType<JObject>())
        {
            var type = JsonFields.StringOf(block["type"]);
            if (type == "tool_result")
            {
                yield break;
            }

            if (type == "text" && block["text"] is JValue { Type: JTokenType.String } text)
            {
                yield return (string)text!;
            }
        }
    }

    [GeneratedRegex(@"<pasted_content id=""[^""]*"">(.*?)</pasted_content id=""[^""]*"">", RegexOptions.Singleline)]
    private static partial Regex PastedContent();

    [GeneratedRegex(@"<command-name>(.*?)</command-name>", RegexOptions.Singleline)]
    private static partial Regex CommandName();

    [GeneratedRegex(@"<bash-input>(.*?)</bash-input>", RegexOptions.Singleline)]
    private static partial Regex BashInput();

    [GeneratedRegex(@"^\s*<[a-z][\w-]*[\s>]")]
    private static partial Regex StartsWithTag();
}
