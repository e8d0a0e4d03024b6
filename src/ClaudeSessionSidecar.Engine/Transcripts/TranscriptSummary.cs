using System.Globalization;
using System.Text;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// What a session's transcript says about it, read the way the official Agent SDK's <c>listSessions</c> reads it
/// (TestData/sdk-interop/FINDINGS.md, sections 1 and 8): only the first and the last 64 KiB, plus the session's
/// <c>archived.json</c> and <c>custom-title.json</c> beside it. So a listing costs two small reads per file, and one
/// sequential pass for <see cref="Usage"/> (which only parses the lines that hold a <c>usage</c>).
/// </summary>
public sealed record TranscriptSummary(
    string SessionId,
    long FileSize,
    DateTimeOffset LastModified,
    string? CustomTitle,
    string? Summary,
    string? FirstPrompt,
    string? GitBranch,
    string? WorkingDirectory,
    string? Tag,
    DateTimeOffset? CreatedAt,
    bool? Archived,
    bool IsProgrammatic,
    bool StartsAsSidechain)
{
    public const int WindowBytes = 64 * 1024;

    /// <summary>
    /// The <c>entrypoint</c>s of programmatic sessions: the SDK's set (0.3.328, <c>includeProgrammatic</c>), which the
    /// CLI's own <c>--resume</c> picker also hides (2.1.328, measured: exact and case-sensitive, <c>sdk-whatever</c> and <c>SDK-CLI</c> are shown).
    /// </summary>
    public static IReadOnlyList<string> ProgrammaticEntrypoints { get; } = ["sdk-cli", "sdk-ts", "sdk-py"];

    /// <summary>The title to show: a custom title, else the CLI's own summary line, else the first prompt.</summary>
    public string? Title => CustomTitle ?? SummaryLine ?? FirstPrompt;

    /// <summary>
    /// The title a listing shows: <see cref="Title"/>, else the SDK's summary, else (for what the SDK does not list)
    /// the first prompt wherever it lies, else the first assistant text, else the session id.
    /// </summary>
    public string DisplayTitle => Title ?? Summary ?? FallbackTitle ?? SessionId;

    /// <summary>The last <c>summary</c> line's text (the CLI's summary of the conversation), when there is one.</summary>
    public string? SummaryLine { get; init; }

    /// <summary>
    /// Only when there is no <see cref="Summary"/> (the SDK does not list the session): the first prompt after the
    /// head (found by reading on to the end of the file), else the first assistant text; null when there is neither.
    /// </summary>
    public string? FallbackTitle { get; init; }

    /// <summary>What the session used (<see cref="TranscriptUsage"/>): the one field read from the whole file, and its subagents'.</summary>
    public TokenUsage Usage { get; init; }

    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static TranscriptSummary Read(string path) => Read(path, out _);

    /// <summary>
    /// Reads the summary with one open of the file: its size and modification time come from the open handle, taken
    /// before any byte is read (so a file that grows meanwhile is seen as changed next time, never as this one).
    /// </summary>
    /// <param name="tailWindow">The last <see cref="WindowBytes"/> bytes (or the whole file), for the resumability judge.</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static TranscriptSummary Read(string path, out ReadOnlyMemory<byte> tailWindow)
    {
        var sessionId = Path.GetFileNameWithoutExtension(path);
        long length;
        DateTime modified;
        Lines head;
        Lines tail;
        long headEnd;
        var usage = new TranscriptUsage();
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            length = RandomAccess.GetLength(handle);
            modified = File.GetLastWriteTimeUtc(handle);
            var headBuffer = new byte[(int)Math.Min(WindowBytes, Math.Max(length, 0))];
            var read = ReadFully(handle, headBuffer, 0);
            var complete = read < WindowBytes ? read : headBuffer.AsSpan(0, read).LastIndexOf((byte)'\n') + 1;
            headEnd = complete;
            head = new Lines(headBuffer, complete, dropFirst: false);
            if (length <= WindowBytes)
            {
                tail = head;
                tailWindow = headBuffer.AsMemory(0, read);
                usage.AddLines(headBuffer.AsSpan(0, read));
            }
            else
            {
                var start = length - WindowBytes;
                var tailBuffer = new byte[WindowBytes];
                var tailRead = ReadFully(handle, tailBuffer, start);
                tail = new Lines(tailBuffer, tailRead, dropFirst: true);
                tailWindow = tailBuffer.AsMemory(0, tailRead);

                // The usage of every line: the windows' bytes are counted from memory, only what lies between is read again.
                var tailLines = tailBuffer.AsSpan(0, tailRead).IndexOf((byte)'\n') + 1;
                if (tailLines > 0 && complete > 0 && complete <= start + tailLines)
                {
                    usage.AddLines(headBuffer.AsSpan(0, complete));
                    usage.AddFile(handle, complete, start + tailLines);
                    usage.AddLines(tailBuffer.AsSpan(tailLines, tailRead - tailLines));
                }
                else
                {
                    usage.AddFile(handle, length);
                }
            }
        }

        usage.AddSubagents(path);
        var sidecarFolder = Path.Combine(Path.GetDirectoryName(path)!, sessionId);

        var tailTitles = tail.Strings("custom-title", "customTitle");
        var customTitle = NonEmpty(tailTitles.LastOrDefault())
            ?? (tailTitles.Count == 0 ? ReadCustomTitleFile(sidecarFolder) : null)
            ?? NonEmpty(head.Strings("custom-title", "customTitle").LastOrDefault())
            ?? NonEmpty(tail.Strings("ai-title", "aiTitle").LastOrDefault())
            ?? NonEmpty(head.Strings("ai-title", "aiTitle").LastOrDefault());
        var firstPrompt = NonEmpty(head.FirstPrompt());
        var summaryLine = NonEmpty(tail.LastField("summary"));
        var summary = customTitle ?? NonEmpty(tail.LastField("lastPrompt")) ?? summaryLine ?? firstPrompt ?? Transcripts.FirstPrompt.AttachmentKind(head.Text);
        var tag = NonEmpty(tail.Strings("tag", "tag").LastOrDefault());
        var createdAt = head.Fields("timestamp", fromEnd: false).Select(ParseTime).FirstOrDefault(time => time is not null);
        var workingDirectory = tail.Strings("relocated", "relocatedCwd").LastOrDefault() ?? head.FirstField("cwd");
        var (fallbackTitle, laterWorkingDirectory) = summary is null || workingDirectory is null
            ? ReadOn(path, head.Text, headEnd, length, wantTitle: summary is null, wantWorkingDirectory: workingDirectory is null)
            : (null, null);

        return new TranscriptSummary(
            sessionId,
            length,
            new DateTimeOffset(modified),
            customTitle,
            summary,
            firstPrompt,
            GitBranch: NonEmpty(tail.LastField("gitBranch")) ?? NonEmpty(head.FirstField("gitBranch")),
            WorkingDirectory: workingDirectory ?? laterWorkingDirectory,
            tag,
            createdAt,
            Archived: ReadArchived(sidecarFolder, head, tail),
            IsProgrammatic: IsProgrammaticSession(head, tail),
            StartsAsSidechain: head.FirstObjectFlag("isSidechain") ?? false)
        {
            SummaryLine = summaryLine,
            FallbackTitle = fallbackTitle,
            Usage = usage.Total,
        };
    }

    /// <summary>
    /// What the head lacks, read on from its end (only as far as needed; to the end of the file when it is not there):
    /// for a transcript the SDK does not list, a title (the first prompt, else the first assistant text anywhere);
    /// for one whose head names no working directory, the first <c>cwd</c> after it.
    /// </summary>
    private static (string? Title, string? WorkingDirectory) ReadOn(string path, IEnumerable<string> head, long headEnd, long length, bool wantTitle, bool wantWorkingDirectory)
    {
        var assistantText = wantTitle ? head.Select(Transcripts.FirstPrompt.AssistantText).FirstOrDefault(text => text is not null) : null;
        string? commandFallback = null;
        string? prompt = null;
        string? workingDirectory = null;
        if (headEnd < length)
        {
            using var stream = TranscriptLines.OpenForReading(path);
            stream.Seek(headEnd, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: false, bufferSize: WindowBytes);
            while (((wantTitle && prompt is null) || (wantWorkingDirectory && workingDirectory is null)) && reader.ReadLine() is { } line)
            {
                if (wantTitle && prompt is null)
                {
                    prompt = Transcripts.FirstPrompt.FromLine(line, ref commandFallback);
                    assistantText ??= prompt is null ? Transcripts.FirstPrompt.AssistantText(line) : null;
                }

                if (wantWorkingDirectory && workingDirectory is null && line.Contains("\"cwd\"", StringComparison.Ordinal)
                    && TranscriptLines.TryParseObject(line)?["cwd"] is JValue { Type: JTokenType.String } cwd)
                {
                    workingDirectory = (string)cwd!;
                }
            }
        }

        return (wantTitle ? NonEmpty(prompt ?? commandFallback) ?? assistantText : null, workingDirectory);
    }

    internal static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    private static int ReadFully(Microsoft.Win32.SafeHandles.SafeFileHandle handle, byte[] buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>
    /// A window's lines, each decoded and parsed only when asked for (most of a window is message content no question
    /// needs). A question about a key (<c>"gitBranch"</c>) or a type (<c>custom-title</c>) only parses the lines whose
    /// bytes contain it: a line whose top-level object has that key or value must contain its name (the CLI never
    /// escapes key names or these type names, and the SDK looks for them as plain text too). The answers are those of
    /// parsing every line.
    /// </summary>
    private sealed class Lines
    {
        private readonly byte[] window;
        private readonly List<Range> lines = [];
        private readonly string?[] text;
        private readonly JObject?[] parsed;
        private readonly bool[] tried;

        /// <summary>Each line's top-level members once asked (<see cref="TopLevelMembers"/>); null where the strict reader could not say.</summary>
        private readonly TopLevelMembers?[] members;
        private readonly bool[] membersRead;

        /// <param name="dropFirst">The window began inside a line: its first line is dropped.</param>
        public Lines(byte[] window, int length, bool dropFirst)
        {
            this.window = window;
            var bytes = window.AsSpan(0, length);
            foreach (var range in bytes.Split((byte)'\n'))
            {
                // Empty lines (once trailing carriage returns are trimmed) are no lines.
                var (start, count) = range.GetOffsetAndLength(length);
                while (count > 0 && bytes[start + count - 1] == (byte)'\r')
                {
                    count--;
                }

                if (count > 0)
                {
                    lines.Add(start..(start + count));
                }
            }

            if (dropFirst && lines.Count > 0)
            {
                lines.RemoveAt(0);
            }

            text = new string?[lines.Count];
            parsed = new JObject?[lines.Count];
            tried = new bool[lines.Count];
            members = new TopLevelMembers?[lines.Count];
            membersRead = new bool[lines.Count];
        }

        /// <summary>The lines' text, in file order, decoded as they are taken.</summary>
        public IEnumerable<string> Text
        {
            get
            {
                for (var i = 0; i < lines.Count; i++)
                {
                    yield return Line(i);
                }
            }
        }

        /// <summary>The string <paramref name="field"/> of every line of <paramref name="type"/>, in file order.</summary>
        public List<string> Strings(string type, string field)
        {
            var needle = Encoding.UTF8.GetBytes(type);
            var found = new List<string>();
            for (var i = 0; i < lines.Count; i++)
            {
                if (Contains(i, needle) && StringOf(i, "type") == type && StringOf(i, field) is { } value)
                {
                    found.Add(value);
                }
            }

            return found;
        }

        public string? LastField(string field) => Fields(field, fromEnd: true).FirstOrDefault();

        public string? FirstField(string field) => Fields(field, fromEnd: false).FirstOrDefault();

        /// <summary>Every string value of the top-level <paramref name="field"/>, in file order (or from the end).</summary>
        public IEnumerable<string> Fields(string field, bool fromEnd)
        {
            var needle = Encoding.UTF8.GetBytes($"\"{field}\"");
            for (var k = 0; k < lines.Count; k++)
            {
                var i = fromEnd ? lines.Count - 1 - k : k;
                if (Contains(i, needle) && StringOf(i, field) is { } value)
                {
                    yield return value;
                }
            }
        }

        /// <summary><see cref="Transcripts.FirstPrompt.From"/> of the lines, each user line's message read by the strict reader where it can.</summary>
        public string? FirstPrompt()
        {
            string? commandFallback = null;
            for (var i = 0; i < lines.Count; i++)
            {
                if (!Transcripts.FirstPrompt.MayHoldPrompt(window.AsSpan(lines[i])))
                {
                    continue;
                }

                string? prompt;
                if (MembersOf(i) is not { } read)
                {
                    prompt = Transcripts.FirstPrompt.FromLine(Line(i), ref commandFallback);
                }
                else if (!read.IsObject || StringOf(i, "type") != "user" || read.TypeOf("message") != System.Text.Json.JsonTokenType.StartObject)
                {
                    continue;
                }
                else if (!Transcripts.FirstPrompt.TryFromMessage(read.Value("message"), ref commandFallback, out prompt))
                {
                    prompt = Transcripts.FirstPrompt.FromLine(Line(i), ref commandFallback);
                }

                if (prompt is not null)
                {
                    return prompt;
                }
            }

            return commandFallback;
        }

        /// <summary>Whether the first line that is a JSON object has <paramref name="field"/> true (null when no line is an object).</summary>
        public bool? FirstObjectFlag(string field)
        {
            for (var i = 0; i < lines.Count; i++)
            {
                if (MembersOf(i) is { } read)
                {
                    if (read.IsObject)
                    {
                        return read.TypeOf(field) == System.Text.Json.JsonTokenType.True;
                    }
                }
                else if (Get(i) is { } entry)
                {
                    return entry[field]?.Type == JTokenType.Boolean && (bool)entry[field]!;
                }
            }

            return null;
        }

        /// <summary>The string <paramref name="field"/> of the first line (holding <paramref name="key"/>) whose object has the member <paramref name="key"/>.</summary>
        public string? FieldOfFirstWith(string key, string field)
        {
            var needle = Encoding.UTF8.GetBytes($"\"{key}\"");
            for (var i = 0; i < lines.Count; i++)
            {
                if (!Contains(i, needle))
                {
                    continue;
                }

                if (MembersOf(i) is { } read)
                {
                    if (read.Has(key))
                    {
                        return StringOf(i, field);
                    }
                }
                else if (Get(i) is { } entry && entry.ContainsKey(key))
                {
                    return entry[field] is JValue { Type: JTokenType.String } value ? (string)value! : null;
                }
            }

            return null;
        }

        /// <remarks>An ASCII needle is in the bytes exactly when it is in the decoded text: no byte of a multi-byte (or invalid) sequence is ASCII.</remarks>
        private bool Contains(int index, byte[] needle) => window.AsSpan(lines[index]).IndexOf(needle) >= 0;

        /// <summary>The line's top-level string <paramref name="field"/>, as parsing it would answer: null when absent, not a string, or the line is no object.</summary>
        private string? StringOf(int index, string field)
        {
            if (!tried[index] && MembersOf(index) is { } read && read.TryString(field, out var value))
            {
                return value;
            }

            return Get(index)?[field] is JValue { Type: JTokenType.String } text ? (string)text! : null;
        }

        /// <summary>The line's members by the strict reader, read once; null when it could not say (the line is then parsed).</summary>
        private TopLevelMembers? MembersOf(int index)
        {
            if (!membersRead[index])
            {
                membersRead[index] = true;
                members[index] = TopLevelMembers.Read(window, lines[index]);
            }

            return members[index];
        }

        private string Line(int index) => text[index] ??= Encoding.UTF8.GetString(window.AsSpan(lines[index]));

        /// <summary>The line parsed (the lenient way, once); null when it is no JSON object.</summary>
        private JObject? Get(int index)
        {
            if (!tried[index])
            {
                tried[index] = true;
                parsed[index] = TranscriptLines.TryParseObject(Line(index));
            }

            return parsed[index];
        }
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static bool IsProgrammaticSession(Lines head, Lines tail)
    {
        var entrypoint = head.FirstField("entrypoint") ?? tail.LastField("entrypoint");
        var kind = head.FieldOfFirstWith("parentUuid", "sessionKind");
        return ProgrammaticEntrypoints.Contains(entrypoint) || kind is "daemon" or "daemon-worker";
    }

    private static string? ReadCustomTitleFile(string sidecarFolder)
    {
        var path = Path.Combine(sidecarFolder, "custom-title.json");
        try
        {
            return File.Exists(path) && new FileInfo(path).Length <= 4096 && TranscriptLines.TryParseObject(File.ReadAllText(path)) is { } title
                ? NonEmpty((string?)title["customTitle"] is { } text ? Transcripts.FirstPrompt.Shorten(text.Trim()) : null)
                : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The SDK's archived state: <c>archived.json</c>, unless a person typed a prompt after it was written.</summary>
    private static bool? ReadArchived(string sidecarFolder, Lines head, Lines tail)
    {
        var state = ArchiveState.Read(sidecarFolder);
        if (state is not { Archived: true, At: var at })
        {
            return state?.Archived;
        }

        // FirstPrompt.From only takes lines holding "type":"user" (or "type": "user"); the rest need no parsing.
        var promptedLater = head.Text.Concat(tail.Text).Any(line =>
            (line.Contains("\"type\":\"user\"", StringComparison.Ordinal) || line.Contains("\"type\": \"user\"", StringComparison.Ordinal))
            && TranscriptLines.TryParseObject(line) is { } entry
            && (string?)entry["type"] == "user"
            && entry["timestamp"] is JValue { Type: JTokenType.String } timestamp
            && ParseTime((string)timestamp!) > at
            && Transcripts.FirstPrompt.From([line]) is not null);
        return !promptedLater;
    }
}
