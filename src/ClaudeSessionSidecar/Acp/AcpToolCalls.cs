using System.Text;
using ClaudeSessionSidecar.Engine.Cli;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

/// <summary>
/// The <c>tool_call</c> and <c>tool_call_update</c> payloads of one stream (a prompt's turn, or a replay), which must
/// know each other: a result is shaped by its call's tool (a Bash output is fenced), and an edit's call carries the
/// proposed change as ACP <c>diff</c> content.
/// <list type="bullet">
/// <item>A live call (<see cref="liveWorkingDirectory"/> set) of Write, Edit or MultiEdit carries the change against the
/// file as it is now, read before the tool runs (so an editor reviews the real change in the permission request):
/// <c>oldText</c> is the file's text (null for a new file), <c>newText</c> the text after the edit.</item>
/// <item>The call's result carries the change the CLI applied, from its own record of the tool's run
/// (<c>toolUseResult.originalFile</c>), so a replay shows it too.</item>
/// </list>
/// Both come from the engine's <see cref="ToolEdits"/>: a file it will not show (outside the session's folder, binary,
/// over 1 MiB) goes without a diff, its <c>rawInput</c> still saying what the call does.
/// With <paramref name="terminalOutput"/> (the client's <c>_meta.terminal_output</c>, as the anchor reads it), a Bash
/// call is a terminal: <c>terminal</c> content and <c>_meta.terminal_info</c>, then its output in
/// <c>_meta.terminal_output</c> and its end in <c>_meta.terminal_exit</c>, in that order, as the anchor sends them.
/// </summary>
internal sealed class AcpToolCalls(string? liveWorkingDirectory, bool terminalOutput = false)
{
    private readonly Dictionary<string, string> toolNames = new(StringComparer.Ordinal);

    private readonly Dictionary<string, JObject> liveCalls = new(StringComparer.Ordinal);

    public JObject Call(string toolCallId, string toolName, JObject input)
    {
        toolNames[toolCallId] = toolName;
        if (liveCalls.TryGetValue(toolCallId, out var known))
        {
            return (JObject)known.DeepClone();
        }

        var call = new JObject
        {
            ["sessionUpdate"] = "tool_call",
            ["toolCallId"] = toolCallId,
            ["title"] = AcpUpdates.ToolTitle(toolName, input),
            ["kind"] = AcpUpdates.ToolKind(toolName),
            ["status"] = "pending",
            ["rawInput"] = input,
            ["locations"] = AcpUpdates.PathOf(input) is { } path ? new JArray(new JObject { ["path"] = path }) : new JArray(),
        };
        if (liveWorkingDirectory is not null && ToolEdits.Propose(toolName, input, liveWorkingDirectory)?.Change is { NotebookCell: null } change)
        {
            call["content"] = new JArray(Diff(change.Path, change.OldText, change.NewText));
            call["locations"] = new JArray(change.Line is { } line ? new JObject { ["path"] = change.Path, ["line"] = line } : new JObject { ["path"] = change.Path });
        }

        if (terminalOutput && toolName == "Bash")
        {
            call["content"] = Terminal(toolCallId);
            call["_meta"] = new JObject { ["terminal_info"] = new JObject { ["terminal_id"] = toolCallId } };
        }

        if (liveWorkingDirectory is not null)
        {
            liveCalls[toolCallId] = (JObject)call.DeepClone();
        }

        return call;
    }

    /// <summary>
    /// The final <c>tool_call_update</c>: completed or failed, with the tool's output raw and as text content (after
    /// the applied diff of an edit). A terminal's Bash call gets its output first, in an update of its own.
    /// </summary>
    /// <param name="toolUseResult">The CLI's record of the tool's run (<c>toolUseResult</c> in a transcript, <c>tool_use_result</c> in its stream).</param>
    public IEnumerable<JObject> Result(string toolCallId, JToken? output, bool isError, JObject? toolUseResult)
    {
        var toolName = toolNames.GetValueOrDefault(toolCallId);
        var text = AcpUpdates.TextOf(output);
        var update = new JObject
        {
            ["sessionUpdate"] = "tool_call_update",
            ["toolCallId"] = toolCallId,
            ["status"] = isError ? "failed" : "completed",
            ["rawOutput"] = output?.DeepClone() ?? JValue.CreateNull(),
        };
        if (terminalOutput && toolName == "Bash")
        {
            yield return new JObject
            {
                ["sessionUpdate"] = "tool_call_update",
                ["toolCallId"] = toolCallId,
                ["_meta"] = new JObject { ["terminal_output"] = new JObject { ["terminal_id"] = toolCallId, ["data"] = text } },
            };
            update["content"] = Terminal(toolCallId);
            update["_meta"] = new JObject
            {
                ["terminal_exit"] = new JObject { ["terminal_id"] = toolCallId, ["exit_code"] = isError ? 1 : 0, ["signal"] = null },
            };
            yield return update;
            yield break;
        }

        var content = new JArray();
        if (!isError && toolUseResult is not null && ToolEdits.Applied(toolName, toolUseResult) is { } change)
        {
            content.Add(Diff(change.Path, change.OldText, change.NewText));
        }

        content.Add(new JObject
        {
            ["type"] = "content",
            ["content"] = new JObject { ["type"] = "text", ["text"] = toolName is "Bash" or "BashOutput" ? Fenced(text) : text },
        });
        update["content"] = content;
        yield return update;
    }

    private static JArray Terminal(string toolCallId) => [new JObject { ["type"] = "terminal", ["terminalId"] = toolCallId }];

    /// <summary>A shell's output as a Markdown code block (a fence longer than any run of backticks in it), never as Markdown itself.</summary>
    public static string Fenced(string text)
    {
        var longest = 0;
        var run = 0;
        foreach (var character in text)
        {
            run = character == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        return $"{fence}\n{text.TrimEnd('\n')}\n{fence}";
    }

    private static JObject Diff(string path, string? oldText, string newText) => new()
    {
        ["type"] = "diff",
        ["path"] = path,
        ["oldText"] = oldText is null ? JValue.CreateNull() : oldText,
        ["newText"] = newText,
    };
}
