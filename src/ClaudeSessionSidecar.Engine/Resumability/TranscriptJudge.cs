using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;

namespace ClaudeSessionSidecar.Engine.Resumability;

/// <summary>The judge's answer: null <see cref="Reason"/> means the CLI would resume the file.</summary>
public sealed record TranscriptVerdict(NotResumableReason? Reason, long FileSize);

/// <summary>
/// Decides, as the CLI 2.1.328's <c>--resume</c> does, whether a transcript can be resumed. The rule was found by
/// experiment (TestData/resumability/FINDINGS.md; every case there is a test): the verdict hangs on the last
/// main-chain entry in file order and the nearest user/assistant entry above it, which must carry a valid timestamp.
/// So the judge reads from the end, in growing windows, and reads the whole file only when no window decides.
/// Verdicts are remembered per (path, size, modification time): an unchanged file is never read twice.
/// </summary>
public static class TranscriptJudge
{
    private static readonly int[] TailWindows = [64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

    private static readonly ConcurrentDictionary<string, (long Size, DateTime Modified, TranscriptVerdict Verdict)> Cache = new(StringComparer.Ordinal);

    /// <summary>Bytes read from transcripts on this thread: lets tests show the read stays bounded.</summary>
    [ThreadStatic]
    internal static long BytesRead;

    public static TranscriptVerdict Judge(string path) => Judge(path, preloaded: null);

    /// <summary>Judges with the file's last <c>64 KiB</c> already in hand (as the summary reader has them), when they are still the file's.</summary>
    /// <param name="preloaded">The size and modification time the bytes were read at, and the bytes (the whole file when it is not larger).</param>
    public static TranscriptVerdict Judge(string path, (long Size, DateTime Modified, ReadOnlyMemory<byte> Tail)? preloaded)
    {
        try
        {
            // A symlink is followed, as the CLI follows it; FileInfo alone would describe the link itself.
            path = RealPath.Resolve(path) ?? path;
            var file = new FileInfo(path);
            if (Directory.Exists(path))
            {
                // The CLI fails with EISDIR, not "not found", but it does not resume either.
                return new TranscriptVerdict(NotResumableReason.SessionFileUnreadable, 0);
            }

            if (!file.Exists)
            {
                return new TranscriptVerdict(NotResumableReason.SessionFileMissing, 0);
            }

            if (Cache.TryGetValue(path, out var cached) && cached.Size == file.Length && cached.Modified == file.LastWriteTimeUtc)
            {
                return cached.Verdict;
            }

            var tail = preloaded is { } window && window.Size == file.Length && window.Modified == file.LastWriteTimeUtc && window.Tail.Length == Math.Min(file.Length, TailWindows[0])
                ? window.Tail
                : (ReadOnlyMemory<byte>?)null;
            var verdict = new TranscriptVerdict(Decide(path, file.Length, tail), file.Length);
            Cache[path] = (file.Length, file.LastWriteTimeUtc, verdict);
            return verdict;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new TranscriptVerdict(NotResumableReason.SessionFileUnreadable, 0);
        }
    }

    /// <summary>The verdict from the file's bytes, without the cache: what a first check costs (benchmarks).</summary>
    public static NotResumableReason? JudgeUncached(string path) => Decide(path, new FileInfo(path).Length, null);

    private static NotResumableReason? Decide(string path, long size, ReadOnlyMemory<byte>? firstWindow)
    {
        if (size == 0)
        {
            return NotResumableReason.SessionFileTooSmall;
        }

        FileStream? opened = null;
        FileStream Stream() => opened ??= TranscriptLines.OpenForReading(path);
        try
        {
            return DecideFromWindows(Stream, size, firstWindow);
        }
        finally
        {
            opened?.Dispose();
        }
    }

    private static NotResumableReason? DecideFromWindows(Func<FileStream> stream, long size, ReadOnlyMemory<byte>? firstWindow)
    {
        foreach (var window in TailWindows)
        {
            var start = Math.Max(0, size - window);
            var bytes = window == TailWindows[0] && firstWindow is { } preloaded ? preloaded : ReadBytes(stream(), start, size - start);

            // Decoded into a pooled buffer: a window's text is larger than a small object, and every cold listing judges thousands.
            var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
            try
            {
                ReadOnlySpan<char> text = chars.AsSpan(0, Encoding.UTF8.GetChars(bytes.Span, chars));
                if (start > 0)
                {
                    // The window began inside a line: drop the part.
                    var newline = text.IndexOf('\n');
                    text = newline < 0 ? [] : text[(newline + 1)..];
                }

                var entries = Parse(text);
                if (start == 0)
                {
                    return IsBlank(text) ? NotResumableReason.SessionFileTooSmall : Verdict(entries);
                }

                if (DecideFromTail(entries) is { } decided)
                {
                    return decided ? null : NotResumableReason.SessionFileNoConversation;
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }

        // No window decided (the conversation lies further back than the largest window): read it all, as the CLI does.
        return Verdict(Parse(Encoding.UTF8.GetString(ReadBytes(stream(), 0, size).Span)));
    }

    private static bool IsBlank(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!JsonValueScanner.IsWhitespace(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Rule 3a inside a window: the last main entry leads up to a user/assistant entry, whose timestamp decides.</summary>
    private static bool? DecideFromTail(List<ConversationEntry> entries)
    {
        var byUuid = Index(entries, out var ordered);
        var last = ordered.LastOrDefault(entry => !entry.IsSidechain);
        return last is null ? null : Ancestor(last, byUuid) is { } head ? !head.IsSidechain && head.HasValidTimestamp : null;
    }

    /// <summary>The whole rule on a whole file (rules 3a, 3b, 3c of FINDINGS.md).</summary>
    private static NotResumableReason? Verdict(List<ConversationEntry> entries)
    {
        var byUuid = Index(entries, out var ordered);
        if (ordered.Count == 0)
        {
            return NotResumableReason.SessionFileNoConversation;
        }

        bool resumable;
        if (ordered.LastOrDefault(entry => !entry.IsSidechain) is { } last && Ancestor(last, byUuid) is { } head)
        {
            resumable = !head.IsSidechain && head.HasValidTimestamp;
        }
        else
        {
            var parents = ordered.Where(entry => entry.ParentUuid is not null).Select(entry => entry.ParentUuid!).ToHashSet(StringComparer.Ordinal);
            var conversationParents = ordered.Where(entry => entry.ParentUuid is not null && entry.IsUserOrAssistant).Select(entry => entry.ParentUuid!).ToHashSet(StringComparer.Ordinal);
            var leaves = ordered
                .Where(entry => entry.Uuid is null || !parents.Contains(entry.Uuid))
                .Select(entry => Ancestor(entry, byUuid))
                .Where(leaf => leaf is not null && (leaf.Uuid is null || !conversationParents.Contains(leaf.Uuid)))
                .ToList();
            resumable = leaves.Count > 0
                ? leaves.Any(leaf => !leaf!.IsSidechain && leaf.HasValidTimestamp)
                : ordered.Any(entry => !entry.IsSidechain && entry.HasValidTimestamp);
        }

        return resumable ? null : NotResumableReason.SessionFileNoConversation;
    }

    /// <summary>Entries keyed by uuid (a later line replaces an earlier one with the same uuid, and lines without one share a key), in the file order of their last appearance.</summary>
    private static Dictionary<string, ConversationEntry> Index(List<ConversationEntry> entries, out List<ConversationEntry> ordered)
    {
        var byKey = new Dictionary<string, (ConversationEntry Entry, int Position)>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            byKey[entries[i].Uuid ?? string.Empty] = (entries[i], i);
        }

        ordered = byKey.Values.OrderBy(value => value.Position).Select(value => value.Entry).ToList();
        return byKey.Where(pair => pair.Key.Length > 0).ToDictionary(pair => pair.Key, pair => pair.Value.Entry, StringComparer.Ordinal);
    }

    /// <summary>Walks <c>parentUuid</c> up from an entry (itself included) to the first user/assistant entry.</summary>
    private static ConversationEntry? Ancestor(ConversationEntry entry, Dictionary<string, ConversationEntry> byUuid)
    {
        var seen = new HashSet<ConversationEntry>(ReferenceEqualityComparer.Instance);
        for (ConversationEntry? current = entry; current is not null && seen.Add(current);)
        {
            if (current.IsUserOrAssistant)
            {
                return current;
            }

            current = current.ParentUuid is { } parent && byUuid.TryGetValue(parent, out var up) ? up : null;
        }

        return null;
    }

    /// <summary>
    /// The CLI's tolerant reader: a value may span lines; after a whole value the rest of its line is ignored; a
    /// syntax error drops the line the value began on and reading goes on at the next line; a value still open at
    /// the end swallows everything after its start.
    /// </summary>
    internal static List<ConversationEntry> Parse(ReadOnlySpan<char> text)
    {
        var entries = new List<ConversationEntry>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && JsonValueScanner.IsWhitespace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return entries;
            }

            var (outcome, end) = JsonValueScanner.Scan(text, i);
            if (outcome == ScanOutcome.Incomplete)
            {
                return entries;
            }

            if (outcome == ScanOutcome.Complete && text[i] == '{' && ConversationEntry.From(text[i..end]) is { } entry)
            {
                entries.Add(entry);
            }

            var from = outcome == ScanOutcome.Complete ? end : i;
            var next = text[from..].IndexOf('\n');
            i = next < 0 ? text.Length : from + next + 1;
        }
    }

    private static ReadOnlyMemory<byte> ReadBytes(FileStream stream, long start, long length)
    {
        var buffer = new byte[length];
        stream.Seek(start, SeekOrigin.Begin);
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        BytesRead += read;
        return buffer.AsMemory(0, read);
    }
}
