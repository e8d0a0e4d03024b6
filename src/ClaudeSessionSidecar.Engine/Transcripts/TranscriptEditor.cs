using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// Changes to transcripts, written byte for byte as the official Agent SDK writes them (TestData/sdk-interop/FINDINGS.md,
/// section 4), so that the SDK and the CLI read them the same: one-line appends with O_APPEND, fork copies, deletes.
/// </summary>
public static class TranscriptEditor
{
    private static readonly string[] ForkDroppedFields = ["teamName", "agentName", "sessionKind", "slug", "sourceToolAssistantUUID"];

    /// <summary>Appends <c>{"type":"custom-title","customTitle":…,"sessionId":…}</c>.</summary>
    public static void AppendCustomTitle(string path, string sessionId, string title) =>
        AppendLine(path, new JObject { ["type"] = "custom-title", ["customTitle"] = title, ["sessionId"] = sessionId });

    /// <summary>Appends <c>{"type":"tag","tag":…,"sessionId":…}</c>; an empty tag clears it.</summary>
    public static void AppendTag(string path, string sessionId, string tag) =>
        AppendLine(path, new JObject { ["type"] = "tag", ["tag"] = tag, ["sessionId"] = sessionId });

    /// <summary>Deletes the transcript and the session's folder beside it (archived.json, subagents, ...).</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        var folder = Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path));
        if (Directory.Exists(folder) && !new DirectoryInfo(folder).Attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Copies a session into a new one beside it, as the SDK's <c>forkSession</c> does: the main-chain entries (up to
    /// and including <paramref name="upToMessageId"/> when given) with new uuids, the new session id, a
    /// <c>forkedFrom</c> link, and a custom title: <paramref name="title"/>, or else "<paramref name="sourceTitle"/> (fork)".
    /// </summary>
    /// <param name="sourceTitle">The source session's title as its listings show it (a title given at create lives in
    /// the store, not in the transcript); null reads the transcript's own.</param>
    /// <returns>The new session's id and path.</returns>
    /// <exception cref="ArgumentException"><paramref name="upToMessageId"/> is not a message of the session.</exception>
    public static (string SessionId, string FilePath) Fork(string sourcePath, string sourceSessionId, string? upToMessageId, string? title, string? sourceTitle, DateTimeOffset now)
    {
        var entries = ConversationChain.ReadEntries(sourcePath)
            .Where(entry => (string?)entry["type"] is "user" or "assistant" or "attachment" or "system" or "progress" && !(entry["isSidechain"]?.Type == JTokenType.Boolean && (bool)entry["isSidechain"]!))
            .ToList();
        if (upToMessageId is not null)
        {
            var chain = ConversationChain.Build(entries).ToList();
            var cut = chain.FindIndex(entry => (string?)entry["uuid"] == upToMessageId);
            if (cut < 0)
            {
                throw new ArgumentException($"Message {ClientText.Quote(upToMessageId)} not found in session {sourceSessionId}.", nameof(upToMessageId));
            }

            entries = chain[..(cut + 1)];
        }

        // Progress entries are dropped; their children hang from the nearest kept ancestor instead.
        var byUuid = entries.ToDictionary(entry => (string)entry["uuid"]!, StringComparer.Ordinal);
        string? KeptAncestor(string? uuid)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (uuid is not null && byUuid.TryGetValue(uuid, out var entry) && (string?)entry["type"] == "progress" && seen.Add(uuid))
            {
                uuid = (string?)entry["parentUuid"];
            }

            return uuid is not null && byUuid.ContainsKey(uuid) ? uuid : null;
        }

        var kept = entries.Where(entry => (string?)entry["type"] != "progress").ToList();
        var newIds = kept.ToDictionary(entry => (string)entry["uuid"]!, _ => Guid.NewGuid().ToString(), StringComparer.Ordinal);
        var forkId = Guid.NewGuid().ToString();
        var forkPath = Path.Combine(Path.GetDirectoryName(sourcePath)!, forkId + TranscriptLocator.Extension);
        if (title is not { Length: > 0 } && sourceTitle is null)
        {
            var summary = TranscriptSummary.Read(sourcePath);
            sourceTitle = summary.CustomTitle ?? summary.FirstPrompt;
        }

        var timestamp = Timestamp(now);

        var output = new StringBuilder();
        for (var i = 0; i < kept.Count; i++)
        {
            var entry = (JObject)kept[i].DeepClone();
            var oldUuid = (string)entry["uuid"]!;
            entry["uuid"] = newIds[oldUuid];
            entry["parentUuid"] = KeptAncestor((string?)entry["parentUuid"]) is { } parent && newIds.TryGetValue(parent, out var newParent) ? newParent : null;
            if (entry["logicalParentUuid"] is JValue { Type: JTokenType.String } logical)
            {
                entry["logicalParentUuid"] = newIds.TryGetValue((string)logical!, out var newLogical) ? newLogical : null;
            }

            entry["sessionId"] = forkId;
            if (i == kept.Count - 1)
            {
                entry["timestamp"] = timestamp;
            }

            entry["isSidechain"] = false;
            foreach (var field in ForkDroppedFields)
            {
                entry.Remove(field);
            }

            if ((string?)entry["type"] == "assistant")
            {
                entry["requestSessionId"] = sourceSessionId;
            }

            entry["forkedFrom"] = new JObject { ["sessionId"] = sourceSessionId, ["messageUuid"] = oldUuid };
            output.Append(entry.ToString(Formatting.None)).Append('\n');
        }

        var forkTitle = title is { Length: > 0 } ? title : (sourceTitle ?? "Forked session") + " (fork)";
        output.Append(new JObject { ["type"] = "custom-title", ["sessionId"] = forkId, ["customTitle"] = forkTitle, ["uuid"] = Guid.NewGuid().ToString(), ["timestamp"] = timestamp }.ToString(Formatting.None)).Append('\n');

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(forkPath, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(output.ToString()));
        }

        return (forkId, forkPath);
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>One JSON line, written with a single append so that it never interleaves with the CLI's own writes.</summary>
    private static void AppendLine(string path, JObject line)
    {
        AppendOnlyFile.Append(path, Encoding.UTF8.GetBytes(line.ToString(Formatting.None) + "\n"));
    }
}
