using System.Globalization;
using System.Text.RegularExpressions;
using ClaudeSessionSidecar.Engine.Transcripts;

namespace ClaudeSessionSidecar.Engine.Resumability;

/// <summary>
/// What the CLI's resume keeps of one transcript object: only <c>user</c>/<c>assistant</c> lines with a message
/// whose content is a string or an array, and <c>attachment</c>/<c>system</c> lines (TestData/resumability/FINDINGS.md, rule 2).
/// </summary>
internal sealed partial record ConversationEntry(string? Uuid, string? ParentUuid, bool IsUserOrAssistant, bool IsSidechain, bool HasValidTimestamp)
{
    /// <summary>The members an entry is made of, in the order <see cref="From"/> unpacks them.</summary>
    private static readonly string[] Keys = ["type", "message", "uuid", "parentUuid", "isSidechain", "timestamp"];

    private static readonly string[] ContentKey = ["content"];

    /// <summary>
    /// The entry of one object's text (complete by <see cref="JsonValueScanner"/>), read from its top-level members
    /// as written, without building a token tree (a transcript line can carry kilobytes of message content). As in
    /// <c>JSON.parse</c>, the last of two members with one key wins.
    /// </summary>
    public static ConversationEntry? From(ReadOnlySpan<char> json)
    {
        Span<Range> members = stackalloc Range[Keys.Length];
        var i = 0;
        while (JsonValueScanner.NextMember(json, ref i, out var key, out var value))
        {
            if (IndexOfKey(json[key], Keys) is var found and >= 0)
            {
                members[found] = value;
            }
        }

        var (type, message, uuid, parentUuid, isSidechain, timestamp) = (members[0], members[1], members[2], members[3], members[4], members[5]);
        bool isUserOrAssistant;
        var kind = StringValue(json, type);
        if (kind is "user" or "assistant")
        {
            if (!HasContent(json[message]))
            {
                return null;
            }

            isUserOrAssistant = true;
        }
        else if (kind is "attachment" or "system")
        {
            isUserOrAssistant = false;
        }
        else
        {
            return null;
        }

        return new ConversationEntry(
            StringValue(json, uuid),
            StringValue(json, parentUuid),
            isUserOrAssistant,
            IsTruthy(json[isSidechain]),
            StringValue(json, timestamp) is { } time && IsValidDate(time));
    }

    /// <summary>A <c>message</c> object whose (last) <c>content</c> is a string or an array.</summary>
    private static bool HasContent(ReadOnlySpan<char> message)
    {
        if (message.IsEmpty || message[0] != '{')
        {
            return false;
        }

        var content = default(Range);
        var i = 0;
        while (JsonValueScanner.NextMember(message, ref i, out var key, out var value))
        {
            if (IndexOfKey(message[key], ContentKey) == 0)
            {
                content = value;
            }
        }

        return message[content] is ['"' or '[', ..];
    }

    /// <summary>JavaScript truthiness of a value as written, which the CLI applies to <c>isSidechain</c> (so the string "false" counts as true).</summary>
    internal static bool IsTruthy(ReadOnlySpan<char> value) => value switch
    {
        [] or ['n', ..] or ['f', ..] => false,
        ['t', ..] or ['{', ..] or ['[', ..] => true,
        ['"', ..] => value.Length > 2,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture) is var number && number != 0 && !double.IsNaN(number),
    };

    private static int IndexOfKey(ReadOnlySpan<char> quotedKey, string[] keys)
    {
        var name = quotedKey.Contains('\\') ? Unescape(quotedKey) : quotedKey[1..^1];
        for (var k = 0; k < keys.Length; k++)
        {
            if (name.SequenceEqual(keys[k]))
            {
                return k;
            }
        }

        return -1;
    }

    private static string? StringValue(ReadOnlySpan<char> json, Range value) =>
        json[value] is ['"', ..] quoted ? (quoted.Contains('\\') ? Unescape(quoted) : new string(quoted[1..^1])) : null;

    /// <summary>A string with escapes, decoded by the one configured reader (rare in transcripts' keys and ids).</summary>
    private static string Unescape(ReadOnlySpan<char> quoted) => (string)TranscriptLines.Parse(new string(quoted))!;

    /// <summary>
    /// Whether the CLI's <c>Date.parse</c> (JavaScriptCore) gives a date: ISO 8601 forms with real months and days,
    /// and RFC 1123-style dates; not bare numbers, blanks or nonsense. The CLI itself always writes ISO 8601.
    /// </summary>
    internal static bool IsValidDate(string text)
    {
        var trimmed = text.Trim();
        if (IsoDate().Match(trimmed) is { Success: true } iso)
        {
            var month = iso.Groups["month"].Success ? int.Parse(iso.Groups["month"].Value, CultureInfo.InvariantCulture) : 1;
            var day = iso.Groups["day"].Success ? int.Parse(iso.Groups["day"].Value, CultureInfo.InvariantCulture) : 1;
            var hourOk = !iso.Groups["hour"].Success || (int.Parse(iso.Groups["hour"].Value, CultureInfo.InvariantCulture) <= 24 && int.Parse(iso.Groups["minute"].Value, CultureInfo.InvariantCulture) < 60);
            return month is >= 1 and <= 12 && day is >= 1 and <= 31 && hourOk;
        }

        return trimmed.Length > 0
            && !trimmed.All(char.IsAsciiDigit)
            && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out _);
    }

    [GeneratedRegex(@"^([+-]\d{6}|\d{4})(-(?<month>\d\d)(-(?<day>\d\d))?)?(T(?<hour>\d\d):(?<minute>\d\d)(:(\d\d)(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();
}
