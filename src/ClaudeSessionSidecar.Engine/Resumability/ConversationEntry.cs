using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Resumability;

/// <summary>
/// What the CLI's resume keeps of one transcript object: only <c>user</c>/<c>assistant</c> lines with a message
/// whose content is a string or an array, and <c>attachment</c>/<c>system</c> lines (TestData/resumability/FINDINGS.md, rule 2).
/// </summary>
internal sealed partial record ConversationEntry(string? Uuid, string? ParentUuid, bool IsUserOrAssistant, bool IsSidechain, bool HasValidTimestamp)
{
    public static ConversationEntry? From(JObject line)
    {
        var type = line["type"] is JValue { Type: JTokenType.String } t ? (string?)t : null;
        bool isUserOrAssistant;
        if (type is "user" or "assistant")
        {
            if (line["message"] is not JObject message || message["content"] is not (JArray or JValue { Type: JTokenType.String }))
            {
                return null;
            }

            isUserOrAssistant = true;
        }
        else if (type is "attachment" or "system")
        {
            isUserOrAssistant = false;
        }
        else
        {
            return null;
        }

        return new ConversationEntry(
            line["uuid"] is JValue { Type: JTokenType.String } uuid ? (string?)uuid : null,
            line["parentUuid"] is JValue { Type: JTokenType.String } parent ? (string?)parent : null,
            isUserOrAssistant,
            IsTruthy(line["isSidechain"]),
            line["timestamp"] is JValue { Type: JTokenType.String } timestamp && IsValidDate((string)timestamp!));
    }

    /// <summary>JavaScript truthiness, which the CLI applies to <c>isSidechain</c> (so the string "false" counts as true).</summary>
    internal static bool IsTruthy(JToken? value) => value switch
    {
        null => false,
        JValue { Type: JTokenType.Null or JTokenType.Undefined } => false,
        JValue { Type: JTokenType.Boolean } b => (bool)b,
        JValue { Type: JTokenType.Integer or JTokenType.Float } n => (double)n != 0 && !double.IsNaN((double)n),
        JValue { Type: JTokenType.String } s => ((string?)s)!.Length > 0,
        _ => true,
    };

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
