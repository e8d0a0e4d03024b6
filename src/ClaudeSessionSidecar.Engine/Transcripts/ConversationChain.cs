using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// The conversation of a transcript in order, by the SDK's and the CLI's rule (TestData/sdk-interop/FINDINGS.md,
/// section 3): not the file's line order, but the <c>parentUuid</c> chain from the latest leaf back to the root.
/// The leaf is the latest entry (in file order) that no other entry continues, walked up to a user or assistant message.
/// </summary>
public static class ConversationChain
{
    private static readonly string[] ChainTypes = ["user", "assistant", "progress", "system", "attachment"];

    /// <summary>The chain's entries, oldest first (every kept type; callers filter).</summary>
    public static IReadOnlyList<JObject> Read(string path) => Build(ReadEntries(path));

    /// <summary>Every line that can be part of a chain (a known type with a uuid), in file order.</summary>
    public static List<JObject> ReadEntries(string path)
    {
        using var reader = new StreamReader(TranscriptLines.OpenForReading(path));
        return Entries(Lines(reader));
    }

    /// <summary>As <see cref="ReadEntries(string)"/>, from a transcript's lines (the PostgreSQL store's copy, say).</summary>
    public static List<JObject> Entries(IEnumerable<string> lines)
    {
        var entries = new List<JObject>();
        foreach (var line in lines)
        {
            if (TranscriptLines.TryParseObject(line.TrimStart()) is { } entry && ChainTypes.Contains((string?)entry["type"]) && entry["uuid"] is JValue { Type: JTokenType.String })
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    private static IEnumerable<string> Lines(StreamReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    public static IReadOnlyList<JObject> Build(IReadOnlyList<JObject> entries)
    {
        var byUuid = new Dictionary<string, JObject>(StringComparer.Ordinal);
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var uuid = (string)entries[i]["uuid"]!;
            byUuid[uuid] = entries[i];
            position[uuid] = i;
        }

        var countable = byUuid.Values.Where(IsCountable).ToList();
        var continued = countable.Select(ParentOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var leaf = countable
            .Where(entry => !continued.Contains(UuidOf(entry)))
            .OrderByDescending(entry => position[UuidOf(entry)])
            .Select(entry => UpToMessage(entry, byUuid))
            .FirstOrDefault(found => found is not null);

        if (leaf is null)
        {
            var parents = byUuid.Values.Select(ParentOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
            leaf = byUuid.Values
                .Where(entry => !parents.Contains(UuidOf(entry)))
                .Select(entry => UpToMessage(entry, byUuid))
                .OfType<JObject>()
                .OrderBy(entry => IsCountable(entry) && !IsMeta(entry) ? 1 : 0)
                .ThenBy(entry => position[UuidOf(entry)])
                .LastOrDefault();
        }

        var chain = new List<JObject>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = leaf; current is not null && seen.Add(UuidOf(current));)
        {
            chain.Add(current);
            current = ParentOf(current) is { } parent && byUuid.TryGetValue(parent, out var up) ? up : null;
        }

        chain.Reverse();
        return chain;
    }

    /// <summary>Whether an entry is shown as a message: user/assistant (and system when asked), not meta, not a sidechain.</summary>
    public static bool IsShown(JObject entry, bool includeSystem) =>
        ((string?)entry["type"] is "user" or "assistant" || includeSystem && (string?)entry["type"] == "system")
        && !IsMeta(entry) && !IsSidechain(entry) && entry["teamName"] is null;

    private static JObject? UpToMessage(JObject entry, Dictionary<string, JObject> byUuid)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (JObject? current = entry; current is not null && seen.Add(UuidOf(current));)
        {
            if ((string?)current["type"] is "user" or "assistant")
            {
                return current;
            }

            current = ParentOf(current) is { } parent && byUuid.TryGetValue(parent, out var up) ? up : null;
        }

        return null;
    }

    private static bool IsCountable(JObject entry) =>
        !IsSidechain(entry) && entry["teamName"] is null && (string?)entry["type"] != "progress"
        && !((string?)entry["type"] == "attachment" && (string?)entry["attachment"]?["type"] == "fork_briefing");

    private static bool IsSidechain(JObject entry) => entry["isSidechain"]?.Type == JTokenType.Boolean && (bool)entry["isSidechain"]!;

    private static bool IsMeta(JObject entry) => entry["isMeta"]?.Type == JTokenType.Boolean && (bool)entry["isMeta"]!;

    private static string UuidOf(JObject entry) => (string)entry["uuid"]!;

    private static string? ParentOf(JObject entry) => entry["parentUuid"] is JValue { Type: JTokenType.String } parent ? (string?)parent : null;
}
