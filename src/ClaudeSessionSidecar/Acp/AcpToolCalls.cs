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
/// </summary>
internal sealed class AcpToolCalls(string? liveWorkingDirectory)
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

        if (liveWorkingDirectory is not null)
        {
            liveCalls[toolCallId] = (JObject)call.DeepClone();
        }

        return call;
    }

    /// <summary>The final <c>tool_call_update</c>: completed or failed, with the tool's output raw and as text content (after the applied diff of an edit).</summary>
    /// <param name="toolUseResult">The CLI's record of the tool's run (<c>toolUseResult</c> in a transcript, <c>tool_use_result</c> in its stream).</param>
    public JObject Result(string toolCallId, JToken? output, bool isError, JObject? toolUseResult)
    {
        var toolName = toolNames.GetValueOrDefault(toolCallId);
        var text = AcpUpdates.TextOf(output);
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
        return new JObject
        {
            ["sessionUpdate"] = "tool_call_update",
            ["toolCallId"] = toolCallId,
            ["status"] = isError ? "failed" : "completed",
            ["rawOutput"] = output?.DeepClone() ?? JValue.CreateNull(),
            ["content"] = content,
        };
    }

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
