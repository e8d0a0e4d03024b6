using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>What the first lines of a transcript say about its session: where it ran, when it began, how it began.</summary>
public sealed record TranscriptHead(string? WorkingDirectory, DateTimeOffset? StartedAt, string? FirstPrompt)
{
    /// <summary>How much of a transcript is read for its head: enough for the first prompt of any real transcript seen, bounded for huge ones.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static TranscriptHead Read(string path)
    {
        string? workingDirectory = null;
        DateTimeOffset? startedAt = null;
        string? firstPrompt = null;
        foreach (var line in TranscriptLines.ReadHead(path, MaxBytes))
        {
            if (TryParse(line) is not { } entry)
            {
                continue;
            }

            workingDirectory ??= entry["cwd"] is JValue { Type: JTokenType.String } cwd ? (string?)cwd : null;
            if (startedAt is null && entry["timestamp"] is JValue { Type: JTokenType.Date or JTokenType.String } timestamp
                && DateTimeOffset.TryParse(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
            {
                startedAt = parsed;
            }

            firstPrompt ??= PromptOf(entry);
            if (workingDirectory is not null && startedAt is not null && firstPrompt is not null)
            {
                break;
            }
        }

        return new TranscriptHead(workingDirectory, startedAt, firstPrompt);
    }

    /// <summary>The text a person typed, for a <c>user</c> line that is one (not meta, not a tool result).</summary>
    internal static string? PromptOf(JObject entry)
    {
        if ((string?)entry["type"] != "user" || entry["isMeta"]?.Type == JTokenType.Boolean && (bool)entry["isMeta"]! || entry["message"] is not JObject message)
        {
            return null;
        }

        var text = message["content"] switch
        {
            JValue { Type: JTokenType.String } plain => (string?)plain,
            JArray blocks => blocks.OfType<JObject>().Where(block => (string?)block["type"] == "text").Select(block => (string?)block["text"]).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t)),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    internal static JObject? TryParse(string line)
    {
        try
        {
            using var reader = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None, MaxDepth = 128 };
            return JToken.ReadFrom(reader) as JObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
