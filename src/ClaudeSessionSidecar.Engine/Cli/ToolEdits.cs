using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>A file's text before and after an edit tool's change (<see cref="OldText"/> null: a new file).</summary>
/// <param name="Line">The first changed line, where the tool says where it edits (Edit, MultiEdit).</param>
/// <param name="NotebookCell">For NotebookEdit, the cell whose source the texts are (not the notebook file's text).</param>
public sealed record FileEdit(string Path, string? OldText, string NewText, int? Line, string? NotebookCell = null)
{
    public IReadOnlyList<DiffHunk> Hunks() => LineDiff.Hunks(OldText, NewText);
}

/// <summary>Why a proposed edit is named but not shown.</summary>
public enum UnshownEdit
{
    /// <summary>The file is not inside the session's working directory.</summary>
    OutsideWorkspace,

    /// <summary>The file is a symbolic link (its text would be another file's).</summary>
    Symlink,

    /// <summary>Over <see cref="ToolEdits.MaxFileBytes"/>.</summary>
    TooLarge,

    /// <summary>Not UTF-8 text (a NUL byte, or invalid UTF-8).</summary>
    Binary,

    /// <summary>It could not be read (no permission, an I/O error, a folder in its place).</summary>
    Unreadable,

    /// <summary>The tool's input does not apply to the file as it is (its <c>old_string</c> is not there, a cell it names is not there).</summary>
    DoesNotApply,
}

/// <summary>An edit tool's proposed change to one file: the change itself, or why it is not shown.</summary>
public sealed record ProposedEdit(string Path, FileEdit? Change, UnshownEdit? Unshown);

/// <summary>
/// What the CLI's file-editing tools (Write, Edit, MultiEdit, NotebookEdit) would change, read from the file as it is
/// before the tool runs, and what they did change, from the CLI's own record of the run. Both faces show these: a
/// person deciding whether to let a tool write a file reviews the real change, not the tool's input.
/// Only a regular text file of at most <see cref="MaxFileBytes"/> inside the session's working directory is read.
/// </summary>
public static class ToolEdits
{
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsEditTool(string? toolName) => toolName is "Write" or "Edit" or "MultiEdit" or "NotebookEdit";

    /// <summary>The change the tool would make to the file as it is now; null when the tool edits no file or names none by an absolute path.</summary>
    public static ProposedEdit? Propose(string toolName, JObject input, string workingDirectory)
    {
        var path = toolName == "NotebookEdit" ? Str(input, "notebook_path") : Str(input, "file_path");
        if (!IsEditTool(toolName) || path is null || !Path.IsPathFullyQualified(path))
        {
            return null;
        }

        if (!IsInside(path, workingDirectory))
        {
            return new ProposedEdit(path, null, UnshownEdit.OutsideWorkspace);
        }

        if (ReadText(path, out var current) is { } unreadable)
        {
            return new ProposedEdit(path, null, unreadable);
        }

        FileEdit? change;
        switch (toolName)
        {
            case "Write":
                change = Str(input, "content") is { } content ? new FileEdit(path, current, content, null) : null;
                break;
            case "NotebookEdit":
                change = current is null ? null : NotebookCellEdit(path, current, input);
                break;
            default:
                var edits = toolName == "Edit" ? [input] : (input["edits"] as JArray)?.OfType<JObject>().ToList() ?? [];
                // On a file not there yet, only an edit with an empty old_string applies: it writes a new file.
                var (after, firstAt) = Apply(current ?? string.Empty, edits);
                change = after is null ? null : new FileEdit(path, current, after, firstAt is { } at ? LineOf(current!, at) : null);
                break;
        }

        return change is null ? new ProposedEdit(path, null, UnshownEdit.DoesNotApply) : new ProposedEdit(path, change, null);
    }

    /// <summary>
    /// The change the CLI reports it made (<c>toolUseResult</c> in a transcript, <c>tool_use_result</c> in its stream):
    /// Write's <c>originalFile</c> (none for a new file) and <c>content</c>; Edit's and MultiEdit's <c>originalFile</c>
    /// and edits. Null when the record does not say.
    /// </summary>
    public static FileEdit? Applied(string? toolName, JObject result)
    {
        if (Str(result, "filePath") is not { } path)
        {
            return null;
        }

        var original = Str(result, "originalFile");
        switch (toolName)
        {
            case "Write" when Str(result, "content") is { } content:
                return new FileEdit(path, (string?)result["type"] == "create" ? null : original, content, null);
            case "Edit" when original is not null && Str(result, "oldString") is { } oldString && Str(result, "newString") is { } newString:
                var edit = new JObject { ["old_string"] = oldString, ["new_string"] = newString, ["replace_all"] = result["replaceAll"] };
                var (after, at) = Apply(original, [edit]);
                return after is null ? null : new FileEdit(path, original, after, at is { } offset ? LineOf(original, offset) : null);
            case "MultiEdit" when original is not null && result["edits"] is JArray edits:
                var (applied, _) = Apply(original, edits.OfType<JObject>().ToList());
                return applied is null ? null : new FileEdit(path, original, applied, null);
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
            text = JsonFields.IsTrue(edit["replace_all"])
                ? text.Replace(oldString, newString, StringComparison.Ordinal)
                : string.Concat(text.AsSpan(0, at), newString, text.AsSpan(at + oldString.Length));
        }

        return (text, firstAt);
    }

    /// <summary>
    /// A NotebookEdit as the change of one cell's source: <c>replace</c> (the default) the cell's source by
    /// <c>new_source</c>, <c>insert</c> a new cell (all lines added), <c>delete</c> it (all removed).
    /// </summary>
    private static FileEdit? NotebookCellEdit(string path, string notebookText, JObject input)
    {
        var cells = TranscriptLines.TryParseObject(notebookText)?["cells"] as JArray;
        var mode = Str(input, "edit_mode") ?? "replace";
        var newSource = Str(input, "new_source") ?? string.Empty;
        if (mode == "insert")
        {
            return new FileEdit(path, string.Empty, newSource, null, Str(input, "cell_id") ?? "new");
        }

        var cellId = Str(input, "cell_id");
        var cell = cells?.OfType<JObject>().FirstOrDefault(candidate => (string?)candidate["id"] == cellId);
        if (cell is null)
        {
            return null;
        }

        var source = cell["source"] switch
        {
            JArray parts => string.Concat(parts.Select(part => (string?)part)),
            JValue { Type: JTokenType.String } whole => (string)whole!,
            _ => string.Empty,
        };
        return new FileEdit(path, source, mode == "delete" ? string.Empty : newSource, null, cellId);
    }

    private static int LineOf(string text, int offset) => text.AsSpan(0, offset).Count('\n') + 1;

    private static bool IsInside(string path, string workingDirectory)
    {
        var folder = Path.GetDirectoryName(path);
        var realFolder = folder is null ? null : RealPath.Resolve(folder);
        var workspace = RealPath.Resolve(workingDirectory) ?? workingDirectory;
        return realFolder is not null && (realFolder == workspace || RealPath.IsBelow(realFolder, workspace));
    }

    /// <summary>A regular file's text (null when there is no file yet); or why it is not one to show.</summary>
    private static UnshownEdit? ReadText(string path, out string? text)
    {
        text = null;
        try
        {
            var file = new FileInfo(path);
            if (file.LinkTarget is not null)
            {
                return UnshownEdit.Symlink;
            }

            if (!file.Exists)
            {
                return Directory.Exists(path) ? UnshownEdit.Unreadable : null;
            }

            if (file.Length > MaxFileBytes)
            {
                return UnshownEdit.TooLarge;
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > MaxFileBytes)
            {
                return UnshownEdit.TooLarge;
            }

            if (bytes.AsSpan().IndexOf((byte)0) >= 0)
            {
                return UnshownEdit.Binary;
            }

            text = StrictUtf8.GetString(bytes);
            return null;
        }
        catch (DecoderFallbackException)
        {
            return UnshownEdit.Binary;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return UnshownEdit.Unreadable;
        }
    }

    private static string? Str(JObject value, string name) => JsonFields.StringOf(value[name]);
}
