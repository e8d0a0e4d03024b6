using System.Globalization;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// What a session's transcript says about it, read the way the official Agent SDK's <c>listSessions</c> reads it
/// (TestData/sdk-interop/FINDINGS.md, sections 1 and 8): only the first and the last 64 KiB, plus the session's
/// <c>archived.json</c> and <c>custom-title.json</c> beside it. So a listing costs two small reads per file.
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

    private static readonly string[] ProgrammaticEntrypoints = ["sdk-cli", "sdk-ts", "sdk-py"];

    /// <summary>The title to show: a custom title, else the CLI's own summary line, else the first prompt.</summary>
    public string? Title => CustomTitle ?? SummaryLine ?? FirstPrompt;

    /// <summary>The last <c>summary</c> line's text (the CLI's summary of the conversation), when there is one.</summary>
    public string? SummaryLine { get; init; }

    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static TranscriptSummary Read(string path)
    {
        var sessionId = Path.GetFileNameWithoutExtension(path);
        var file = new FileInfo(path);
        var head = ParseAll(TranscriptLines.ReadHead(path, WindowBytes));
        var tail = file.Length <= WindowBytes ? head : ParseAll(TranscriptLines.ReadTail(path, WindowBytes));
        var sidecarFolder = Path.Combine(Path.GetDirectoryName(path)!, sessionId);

        var tailTitles = Strings(tail, "custom-title", "customTitle");
        var customTitle = NonEmpty(tailTitles.LastOrDefault())
            ?? (tailTitles.Count == 0 ? ReadCustomTitleFile(sidecarFolder) : null)
            ?? NonEmpty(Strings(head, "custom-title", "customTitle").LastOrDefault())
            ?? NonEmpty(Strings(tail, "ai-title", "aiTitle").LastOrDefault())
            ?? NonEmpty(Strings(head, "ai-title", "aiTitle").LastOrDefault());
        var firstPrompt = Transcripts.FirstPrompt.From(head.Select(entry => entry.Line));
        var summaryLine = NonEmpty(LastField(tail, "summary"));
        var summary = customTitle ?? NonEmpty(LastField(tail, "lastPrompt")) ?? summaryLine ?? firstPrompt;
        var tag = NonEmpty(Strings(tail, "tag", "tag").LastOrDefault());
        var createdAt = head.Select(entry => entry.Object["timestamp"]).OfType<JValue>().Where(v => v.Type == JTokenType.String)
            .Select(v => ParseTime((string)v!)).FirstOrDefault(time => time is not null);

        return new TranscriptSummary(
            sessionId,
            file.Length,
            new DateTimeOffset(file.LastWriteTimeUtc),
            customTitle,
            summary,
            firstPrompt,
            GitBranch: NonEmpty(LastField(tail, "gitBranch")) ?? NonEmpty(FirstField(head, "gitBranch")),
            WorkingDirectory: Strings(tail, "relocated", "relocatedCwd").LastOrDefault() ?? FirstField(head, "cwd"),
            tag,
            createdAt,
            Archived: ReadArchived(sidecarFolder, head.Concat(tail)),
            IsProgrammatic: IsProgrammaticSession(head, tail),
            StartsAsSidechain: head.FirstOrDefault()?.Object["isSidechain"]?.Type == JTokenType.Boolean && (bool)head[0].Object["isSidechain"]!)
        {
            SummaryLine = summaryLine,
        };
    }

    internal static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    private sealed record Entry(string Line, JObject Object);

    private static List<Entry> ParseAll(IEnumerable<string> lines) =>
        lines.Select(line => TranscriptLines.TryParseObject(line) is { } parsed ? new Entry(line, parsed) : null).OfType<Entry>().ToList();

    /// <summary>The string <paramref name="field"/> of every line of <paramref name="type"/>, in file order.</summary>
    private static List<string> Strings(List<Entry> entries, string type, string field) =>
        entries.Where(entry => (string?)entry.Object["type"] == type && entry.Object[field] is JValue { Type: JTokenType.String })
            .Select(entry => (string)entry.Object[field]!)
            .ToList();

    private static string? LastField(List<Entry> entries, string field) =>
        entries.Select(entry => entry.Object[field]).OfType<JValue>().LastOrDefault(value => value.Type == JTokenType.String)?.ToString(CultureInfo.InvariantCulture);

    private static string? FirstField(List<Entry> entries, string field) =>
        entries.Select(entry => entry.Object[field]).OfType<JValue>().FirstOrDefault(value => value.Type == JTokenType.String)?.ToString(CultureInfo.InvariantCulture);

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static bool IsProgrammaticSession(List<Entry> head, List<Entry> tail)
    {
        var entrypoint = FirstField(head, "entrypoint") ?? LastField(tail, "entrypoint");
        var kind = (string?)head.FirstOrDefault(entry => entry.Object.ContainsKey("parentUuid"))?.Object["sessionKind"];
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
    private static bool? ReadArchived(string sidecarFolder, IEnumerable<Entry> entries)
    {
        var state = ArchiveState.Read(sidecarFolder);
        if (state is not { Archived: true, At: var at })
        {
            return state?.Archived;
        }

        var promptedLater = entries.Any(entry =>
            (string?)entry.Object["type"] == "user"
            && entry.Object["timestamp"] is JValue { Type: JTokenType.String } timestamp
            && ParseTime((string)timestamp!) > at
            && Transcripts.FirstPrompt.From([entry.Line]) is not null);
        return !promptedLater;
    }
}
