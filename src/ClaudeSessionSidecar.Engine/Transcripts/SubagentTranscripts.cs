using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// What ran inside a session's subagents (the Task tool). Measured on CLI 2.1.328: each subagent's messages go to
/// <c>&lt;session id&gt;/subagents/agent-&lt;id&gt;.jsonl</c> beside the transcript (its own chain, every entry
/// <c>isSidechain: true</c>), and <c>agent-&lt;id&gt;.meta.json</c> names the Task tool use that launched it
/// (<c>toolUseId</c>). The main transcript holds only the Task call and its result.
/// </summary>
public static class SubagentTranscripts
{
    private const string MetaSuffix = ".meta.json";

    /// <summary>
    /// Each subagent's user and assistant entries in file order, by the id of the Task tool use that launched it.
    /// A symlink (folder or file) is not followed, and a subagent whose files cannot be read is left out.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<JObject>> Read(string transcriptPath)
    {
        var subagents = new Dictionary<string, IReadOnlyList<JObject>>(StringComparer.Ordinal);
        var sessionFolder = Path.Combine(Path.GetDirectoryName(transcriptPath)!, Path.GetFileNameWithoutExtension(transcriptPath));
        var folder = Path.Combine(sessionFolder, "subagents");
        if (!Directory.Exists(folder) || IsLink(sessionFolder) || IsLink(folder))
        {
            return subagents;
        }

        foreach (var meta in Directory.EnumerateFiles(folder, "agent-*" + MetaSuffix))
        {
            var transcript = meta[..^MetaSuffix.Length] + TranscriptLocator.Extension;
            try
            {
                if (IsLink(meta) || !File.Exists(transcript) || IsLink(transcript)
                    || TranscriptLines.TryParseObject(File.ReadAllText(meta))?["toolUseId"] is not JValue { Type: JTokenType.String } toolUseId)
                {
                    continue;
                }

                subagents[(string)toolUseId!] = ConversationChain.ReadEntries(transcript)
                    .Where(entry => (string?)entry["type"] is "user" or "assistant")
                    .ToList();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Being written or unreadable: the replay goes on without it.
            }
        }

        return subagents;
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;
}
