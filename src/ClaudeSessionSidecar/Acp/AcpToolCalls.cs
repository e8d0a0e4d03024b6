using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
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
/// Only a text file of at most <see cref="MaxFileBytes"/> inside the session's folder is read for a live diff; any
/// other call goes without one (its <c>rawInput</c> still says what it does).
/// </summary>
internal sealed class AcpToolCalls(string? liveWorkingDirectory)
{
    public const int MaxFileBytes = 1024 * 1024;

    private readonly Dictionary<string, string> toolNames = new(StringComparer.Ordinal);

    private readonly Dictionary<string, JObject> liveCalls = new(StringComparer.Ordinal);

    private readonly string? liveFolder = liveWorkingDirectory is null ? null : RealPath.Resolve(liveWorkingDirectory) ?? liveWorkingDirectory;

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
        if (liveFolder is not null && ProposedChange(toolName, input) is { } change)
        {
            call["content"] = new JArray(Diff(change.Path, change.OldText, change.NewText));
            call["locations"] = new JArray(change.Line is { } line ? new JObject { ["path"] = change.Path, ["line"] = line } : new JObject { ["path"] = change.Path });
        }

        if (liveFolder is not null)
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
        if (!isError && toolUseResult is not null && AppliedChange(toolName, toolUseResult) is { } change)
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

    private sealed record Change(string Path, string? OldText, string NewText, int? Line);

    /// <summary>The change a Write, Edit or MultiEdit would make to the file as it is now; null when it cannot be shown.</summary>
    private Change? ProposedChange(string toolName, JObject input)
    {
        if (toolName is not ("Write" or "Edit" or "MultiEdit") || Str(input, "file_path") is not { } path || !Path.IsPathFullyQualified(path) || !IsInside(path))
        {
            return null;
        }

        if (!TryReadText(path, out var current))
        {
            return null;
        }

        if (toolName == "Write")
        {
            return Str(input, "content") is { } content ? new Change(path, current, content, null) : null;
        }

        if (current is null)
        {
            return null;
        }

        var edits = toolName == "Edit" ? [input] : (input["edits"] as JArray)?.OfType<JObject>().ToList() ?? [];
        var (after, firstAt) = Apply(current, edits);
        return after is null ? null : new Change(path, current, after, firstAt is { } at ? LineOf(current, at) : null);
    }

    /// <summary>The change the CLI reports it made (Write: <c>originalFile</c>, null for a new file, and <c>content</c>; Edit and MultiEdit: <c>originalFile</c> and its edits).</summary>
    private static Change? AppliedChange(string? toolName, JObject result)
    {
        if (Str(result, "filePath") is not { } path)
        {
            return null;
        }

        var original = Str(result, "originalFile");
        switch (toolName)
        {
            case "Write" when Str(result, "content") is { } content:
                return new Change(path, (string?)result["type"] == "create" ? null : original, content, null);
            case "Edit" when original is not null && Str(result, "oldString") is { } oldString && Str(result, "newString") is { } newString:
                var edit = new JObject { ["old_string"] = oldString, ["new_string"] = newString, ["replace_all"] = result["replaceAll"] };
                var (after, at) = Apply(original, [edit]);
                return after is null ? null : new Change(path, original, after, at is { } offset ? LineOf(original, offset) : null);
            case "MultiEdit" when original is not null && result["edits"] is JArray edits:
                var (applied, _) = Apply(original, edits.OfType<JObject>().ToList());
                return applied is null ? null : new Change(path, original, applied, null);
            default:
                return null;
        }
    }

    /// <summary>The edits applied in order, as the CLI applies them (the first occurrence, or every one with <c>replace_all</c>); null when one does not apply.</summary>
    private static (string? Text, int? FirstAt) Apply(string text, IReadOnlyList<JObject> edits)
    {
        int? firstAt = null;
        foreach (var edit in edits)
        {
            if (Str(edit, "old_string") is not { } oldString || Str(edit, "new_string") is not { } newString)
            {
                return (null, null);
            }

            if (oldString.Length == 0)
            {
                // An empty old_string writes a new file's text.
                text = newString;
                continue;
            }

            var at = text.IndexOf(oldString, StringComparison.Ordinal);
            if (at < 0)
            {
                return (null, null);
            }

            firstAt ??= at;
            text = edit["replace_all"]?.Type == JTokenType.Boolean && (bool)edit["replace_all"]!
                ? text.Replace(oldString, newString, StringComparison.Ordinal)
                : string.Concat(text.AsSpan(0, at), newString, text.AsSpan(at + oldString.Length));
        }

        return (text, firstAt);
    }

    private static int LineOf(string text, int offset) => text.AsSpan(0, offset).Count('\n') + 1;

    private bool IsInside(string path)
    {
        var folder = Path.GetDirectoryName(path);
        var realFolder = folder is null ? null : RealPath.Resolve(folder);
        return realFolder is not null && liveFolder is not null
            && (realFolder == liveFolder || RealPath.IsBelow(realFolder, liveFolder));
    }

    /// <summary>A regular file's text (null when there is no file); false when it is not one to show: too large, not UTF-8, binary, unreadable.</summary>
    private static bool TryReadText(string path, out string? text)
    {
        text = null;
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                return !Directory.Exists(path);
            }

            if (file.LinkTarget is not null || file.Length > MaxFileBytes)
            {
                return false;
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.AsSpan().IndexOf((byte)0) >= 0)
            {
                return false;
            }

            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            return false;
        }
    }

    private static string? Str(JObject value, string name) => value[name] is JValue { Type: JTokenType.String } text ? (string?)text : null;
}
