using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

/// <summary>
/// The <c>session/update</c> payloads made from what the CLI says: its live stream (with partial messages) during a
/// prompt, and its transcript entries on <c>session/load</c>. Both carry Anthropic content blocks; the mapping is one.
/// </summary>
internal static class AcpUpdates
{
    public const string Method = "session/update";

    public static JObject Chunk(string kind, string text) => new()
    {
        ["sessionUpdate"] = kind,
        ["content"] = new JObject { ["type"] = "text", ["text"] = text },
    };

    /// <summary>A streamed text or thinking delta of the CLI (<c>stream_event</c> / <c>content_block_delta</c>), or null.</summary>
    public static JObject? FromStreamEvent(JObject message)
    {
        if (message["event"] is not JObject { } streamEvent || (string?)streamEvent["type"] != "content_block_delta" || streamEvent["delta"] is not JObject delta)
        {
            return null;
        }

        return (string?)delta["type"] switch
        {
            "text_delta" when delta["text"] is JValue { Type: JTokenType.String } text => Chunk("agent_message_chunk", (string)text!),
            "thinking_delta" when delta["thinking"] is JValue { Type: JTokenType.String } thinking => Chunk("agent_thought_chunk", (string)thinking!),
            _ => null,
        };
    }

    /// <summary>The updates for one transcript entry (or one message of the CLI's stream): a user or an assistant message.</summary>
    /// <param name="tools">The stream's tool calls (a result is shaped by its call).</param>
    public static IEnumerable<JObject> FromEntry(JObject entry, AcpToolCalls tools, bool includeText, bool includeThinking) =>
        FromContent((string?)entry["type"] == "user" ? "user" : "assistant", entry["message"]?["content"], tools, includeText, includeThinking, ToolUseResultOf(entry));

    /// <summary>The CLI's record of a tool's run beside its result: <c>toolUseResult</c> in a transcript, <c>tool_use_result</c> in its stream.</summary>
    public static JObject? ToolUseResultOf(JObject entry) => (entry["toolUseResult"] ?? entry["tool_use_result"]) as JObject;

    /// <summary>
    /// An update from inside a subagent, marked with the Task tool call it ran under
    /// (<c>_meta.claudeCode.parentToolUseId</c>, as Zed's Claude agent marks them), so a client can nest it.
    /// </summary>
    public static JObject InsideTask(JObject update, string taskToolUseId)
    {
        update["_meta"] = new JObject { ["claudeCode"] = new JObject { ["parentToolUseId"] = taskToolUseId } };
        return update;
    }

    /// <summary>
    /// The updates for one message's content blocks: tool calls and their results always; its text and thinking when
    /// asked (a replay; or a live message whose text or thinking did not come as partial chunks, as the CLI's own
    /// "API Error: ..." messages).
    /// </summary>
    public static IEnumerable<JObject> FromContent(string role, JToken? content, AcpToolCalls tools, bool includeText, bool includeThinking, JObject? toolUseResult = null)
    {
        if (content is JValue { Type: JTokenType.String } plain)
        {
            if (includeText)
            {
                yield return Chunk(role == "user" ? "user_message_chunk" : "agent_message_chunk", (string)plain!);
            }

            yield break;
        }

        if (content is not JArray blocks)
        {
            yield break;
        }

        foreach (var block in blocks.OfType<JObject>())
        {
            switch ((string?)block["type"])
            {
                case "text" when includeText && block["text"] is JValue { Type: JTokenType.String } text && !IsSystemReminder((string)text!):
                    yield return Chunk(role == "user" ? "user_message_chunk" : "agent_message_chunk", (string)text!);
                    break;
                case "image" when includeText && block["source"] is JObject { } source && (string?)source["type"] == "base64":
                    yield return new JObject
                    {
                        ["sessionUpdate"] = role == "user" ? "user_message_chunk" : "agent_message_chunk",
                        ["content"] = new JObject { ["type"] = "image", ["data"] = source["data"], ["mimeType"] = source["media_type"] },
                    };
                    break;
                case "thinking" when includeThinking && block["thinking"] is JValue { Type: JTokenType.String } thinking:
                    yield return Chunk("agent_thought_chunk", (string)thinking!);
                    break;
                case "tool_use" when block["id"] is JValue { Type: JTokenType.String } id:
                    yield return tools.Call((string)id!, (string?)block["name"] ?? "tool", block["input"] as JObject ?? []);
                    break;
                case "tool_result" when block["tool_use_id"] is JValue { Type: JTokenType.String } toolUseId:
                    foreach (var update in tools.Result((string)toolUseId!, block["content"], block["is_error"]?.Type == JTokenType.Boolean && (bool)block["is_error"]!, toolUseResult))
                    {
                        yield return update;
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// What a finished turn tells the client beside its stop reason: the session's title and last activity
    /// (<c>session_info_update</c>), and how full the context is (<c>usage_update</c>: the last assistant message's
    /// input, cache and output tokens, against the model's context window from the result's <c>modelUsage</c>; left
    /// out when the CLI reports no window, as for its own synthetic answers), with the session's cost so far: the
    /// result's <c>total_cost_usd</c>, which the CLI keeps for the session (CLI 2.1.328, measured: cumulative over a
    /// live process's turns, and restored on resume from the transcript's <c>cost-state</c> line).
    /// </summary>
    public static IEnumerable<JObject> AfterTurn(Engine.Sessions.TurnResult turn, JObject? lastUsage)
    {
        if (turn.Record is { } record)
        {
            yield return new JObject
            {
                ["sessionUpdate"] = "session_info_update",
                ["title"] = record.Title,
                ["updatedAt"] = Timestamp(record.LastActiveAt),
            };
        }

        var contextWindow = (turn.Outcome.Result?["modelUsage"] as JObject)?.Properties()
            .Select(model => model.Value["contextWindow"])
            .Where(window => window?.Type == JTokenType.Integer)
            .Select(window => (long)window!)
            .DefaultIfEmpty(0)
            .Max() ?? 0;
        if (lastUsage is not null && contextWindow > 0)
        {
            var used = new[] { "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens" }
                .Sum(field => lastUsage[field]?.Type == JTokenType.Integer ? (long)lastUsage[field]! : 0);
            var update = new JObject { ["sessionUpdate"] = "usage_update", ["used"] = used, ["size"] = contextWindow };
            if (turn.Outcome.TotalCostUsd is { } cost)
            {
                update["cost"] = new JObject { ["amount"] = cost, ["currency"] = "USD" };
            }

            yield return update;
        }
    }

    /// <summary>A time as ACP's <c>updatedAt</c> (ISO 8601, UTC, milliseconds), the same in listings and updates.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The ACP tool kind of a Claude Code tool, for the client's icon.</summary>
    public static string ToolKind(string toolName) => toolName switch
    {
        "Read" or "NotebookRead" => "read",
        "Write" or "Edit" or "MultiEdit" or "NotebookEdit" => "edit",
        "Bash" or "BashOutput" or "KillShell" or "KillBash" => "execute",
        "Grep" or "Glob" or "LS" => "search",
        "WebFetch" or "WebSearch" => "fetch",
        "TodoWrite" or "Task" or "ExitPlanMode" => "think",
        _ => "other",
    };

    /// <summary>The tool's name and what it works on: "Write /tmp/a.txt", "Bash ls -la".</summary>
    public static string ToolTitle(string toolName, JObject input)
    {
        var subject = PathOf(input) ?? StringOf(input, "command") ?? StringOf(input, "pattern") ?? StringOf(input, "url") ?? StringOf(input, "query") ?? StringOf(input, "description");
        return subject is null ? toolName : $"{toolName} {subject}";
    }

    public static string? PathOf(JObject input) => StringOf(input, "file_path") ?? StringOf(input, "notebook_path") ?? StringOf(input, "path");

    private static string? StringOf(JObject input, string name) => JsonFields.StringOf(input[name]);

    public static string TextOf(JToken? output) => output switch
    {
        JValue { Type: JTokenType.String } text => (string)text!,
        JArray blocks => string.Join("\n", blocks.OfType<JObject>().Select(block => (string?)block["text"]).Where(text => text is not null)),
        null or { Type: JTokenType.Null } => string.Empty,
        _ => output.ToString(Newtonsoft.Json.Formatting.None),
    };

    private static bool IsSystemReminder(string text) => text.StartsWith("<system-reminder>", StringComparison.Ordinal);
}
