using ClaudeSessionSidecar.Engine.Identifiers;
using System.Collections.Concurrent;
using System.IO.Enumeration;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Transcripts;
using Microsoft.Data.Sqlite;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// What an index entry depends on: the transcript's size and modification time, and the size and time of the
/// <c>archived.json</c> and <c>custom-title.json</c> beside it (empty when the session has no such folder).
/// </summary>
public readonly record struct TranscriptStamp(long Size, long ModifiedTicks, string Sidecar);

/// <summary>One transcript's summary and the resumability judge's verdict on it, valid while <see cref="Stamp"/> holds.</summary>
public sealed record IndexedTranscript(string Path, TranscriptStamp Stamp, TranscriptSummary Summary, NotResumableReason? NotResumableReason);

/// <summary>
/// One transcript of a scanned folder, with its stamp (null for a symlink, which is read the slow way) and its index
/// entry when the stamp still holds (else null until <see cref="SummaryIndex.Read"/>).
/// </summary>
public sealed record ScannedTranscript(string SessionId, string Path, TranscriptStamp? Stamp, IndexedTranscript? Entry)
{
    /// <summary>The time listings sort by, known from the stamp before the file is read.</summary>
    public DateTimeOffset? LastModified => Stamp is { } stamp ? new DateTimeOffset(new DateTime(stamp.ModifiedTicks, DateTimeKind.Utc)) : null;
}

/// <summary>
/// The summary index: per transcript, what a listing needs (<see cref="TranscriptSummary"/> and the judge's verdict),
/// keyed by path and <see cref="TranscriptStamp"/>, kept in memory and in the store (table <c>transcript_summaries</c>),
/// so that an unchanged file is never read twice, in this process or the next: a repeat listing costs one directory
/// read and one <c>stat</c> per transcript. A changed stamp means a new read; a file gone is dropped from the index.
/// A read made less than <see cref="RacyWindow"/> after the file's modification is not remembered (a rewrite of the
/// same size within the file system's clock tick would keep its stamp): the next listing reads the file again and,
/// the file having settled, remembers it. So a transcript written just now costs one more read, never more.
/// </summary>
public sealed class SummaryIndex(SessionStore store, ISidecarLog log, TimeProvider? clock = null)
{
    /// <summary>The meaning of a row: bump it whenever the summary reader or the judge changes what they answer.</summary>
    public const int Format = 3;

    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(1);

    private const string CustomTitleFileName = "custom-title.json";

    private static readonly EnumerationOptions FolderOptions = new() { RecurseSubdirectories = false, IgnoreInaccessible = true, MatchType = MatchType.Simple };

    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    /// <summary>By folder, then by path. A folder is loaded from the store the first time this process looks at it.</summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, IndexedTranscript>> folders = new(StringComparer.Ordinal);

    private long transcriptsRead;

    /// <summary>Transcripts read (not found in the index) since this index was made: lets tests show what is read again.</summary>
    public long TranscriptsRead => Interlocked.Read(ref transcriptsRead);

    /// <summary>
    /// The transcripts (<c>&lt;uuid&gt;.jsonl</c>) of one project folder in directory order, each with its index entry
    /// when its stamp holds: one directory read and one <c>stat</c> per transcript, nothing read. Transcripts gone
    /// since the last scan leave the index. Where the kernel says (inotify) that nothing in the folder changed since
    /// the last scan, that scan is reused, and only the session folders beside transcripts are looked at again: a
    /// warm listing then costs no <c>stat</c> per transcript.
    /// </summary>
    public IReadOnlyList<ScannedTranscript> Scan(string folder)
    {
        var changes = FolderChanges.Shared;
        if (changes is not null && lastScans.TryGetValue(folder, out var last) && changes.Changes(folder) == last.ChangeCount)
        {
            // Kept as the folder's last scan: the entries found since are not looked up (nor copied) again.
            var rescanned = Rescan(folder, last);
            if (!ReferenceEquals(rescanned, last.Transcripts))
            {
                lastScans.TryUpdate(folder, last with { Transcripts = rescanned }, last);
            }

            return rescanned;
        }

        var changeCount = changes?.Watch(folder);
        var scanned = ScanFolder(folder, out var sidecarFolders);
        if (changeCount is not null)
        {
            lastScans[folder] = new FolderScan(scanned, sidecarFolders, changeCount.Value);
        }
        else
        {
            lastScans.TryRemove(folder, out _);
        }

        return scanned;
    }

    /// <summary>A folder's last scan, reused while its change count holds.</summary>
    private sealed record FolderScan(List<ScannedTranscript> Transcripts, HashSet<string> SidecarFolders, long ChangeCount);

    private readonly ConcurrentDictionary<string, FolderScan> lastScans = new(StringComparer.Ordinal);

    /// <summary>
    /// The last scan of an unchanged folder, with the stamps of session folders taken again (their files are not in
    /// the folder watched) and each transcript's index entry as it is now (transcripts read since were remembered).
    /// </summary>
    private List<ScannedTranscript> Rescan(string folder, FolderScan last)
    {
        var known = Folder(folder);
        List<ScannedTranscript>? scanned = null;
        for (var i = 0; i < last.Transcripts.Count; i++)
        {
            var transcript = last.Transcripts[i];
            var current = transcript;
            if (transcript.Stamp is { } stamp)
            {
                if (last.SidecarFolders.Contains(transcript.SessionId))
                {
                    stamp = stamp with { Sidecar = SidecarStamp(Path.Combine(folder, transcript.SessionId)) };
                }

                if (transcript.Entry is not { } entry || entry.Stamp != stamp || transcript.Stamp != stamp)
                {
                    var found = known.TryGetValue(transcript.Path, out var remembered) && remembered.Stamp == stamp ? remembered : null;
                    if (found != transcript.Entry || transcript.Stamp != stamp)
                    {
                        current = transcript with { Stamp = stamp, Entry = found };
                    }
                }
            }

            // The last scan's list itself while nothing differs from it (no copy of thousands of rows a listing).
            if (scanned is null && !ReferenceEquals(current, transcript))
            {
                scanned = new List<ScannedTranscript>(last.Transcripts.Count);
                scanned.AddRange(last.Transcripts.Take(i));
            }

            scanned?.Add(current);
        }

        return scanned ?? last.Transcripts;
    }

    private List<ScannedTranscript> ScanFolder(string folder, out HashSet<string> sidecarFolders)
    {
        sidecarFolders = [];
        List<FolderItem> items;
        try
        {
            items = new FileSystemEnumerable<FolderItem>(folder, ToItem, FolderOptions) { ShouldIncludePredicate = IsTranscriptOrFolder }.ToList();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Debug($"Skipped unreadable project folder {folder}: {exception.Message}");
            return [];
        }

        sidecarFolders = items.Where(item => item.IsDirectoryOrLink).Select(item => item.Name).ToHashSet(StringComparer.Ordinal);
        var known = Folder(folder);
        var scanned = new List<ScannedTranscript>(items.Count);
        var knownAndPresent = 0;
        foreach (var item in items.Where(item => item.IsTranscript))
        {
            var sessionId = item.Name[..^TranscriptLocator.Extension.Length];
            if (SessionId.Normalize(sessionId) != sessionId)
            {
                continue;
            }

            var path = Path.Combine(folder, item.Name);
            if (item.IsLink)
            {
                // A link is followed by the CLI and judged through its target: the slow, uncached way.
                scanned.Add(new ScannedTranscript(sessionId, path, null, null));
                continue;
            }

            var stamp = new TranscriptStamp(item.Size, item.ModifiedTicks, sidecarFolders.Contains(sessionId) ? SidecarStamp(Path.Combine(folder, sessionId)) : string.Empty);
            var isKnown = known.TryGetValue(path, out var entry);
            knownAndPresent += isKnown ? 1 : 0;
            scanned.Add(new ScannedTranscript(sessionId, path, stamp, isKnown && entry!.Stamp == stamp ? entry : null));
        }

        // Every remembered transcript still here (the usual case): nothing to drop, and no set of the folder's paths to build.
        if (knownAndPresent == known.Count)
        {
            return scanned;
        }

        var present = scanned.Select(transcript => transcript.Path).ToHashSet(StringComparer.Ordinal);
        var removed = known.Keys.Where(path => !present.Contains(path)).ToList();
        if (removed.Count > 0)
        {
            foreach (var path in removed)
            {
                known.TryRemove(path, out _);
            }

            Save(folder, [], removed);
        }

        return scanned;
    }

    /// <summary>
    /// Reads the transcripts whose entry is missing (in parallel), remembers the settled ones in memory, and adds
    /// them to <paramref name="toSave"/> for <see cref="Save(IReadOnlyCollection{IndexedTranscript})"/>.
    /// </summary>
    /// <returns>The entries, in the order given; null for a file that cannot be read (or a symlink: read it the slow way).</returns>
    public IndexedTranscript?[] Read(IReadOnlyList<ScannedTranscript> transcripts, List<IndexedTranscript> toSave)
    {
        var entries = new IndexedTranscript?[transcripts.Count];
        var cacheable = new bool[transcripts.Count];
        Parallel.For(0, transcripts.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var transcript = transcripts[i];
            (entries[i], cacheable[i]) = transcript.Entry is { } entry ? (entry, false) : transcript.Stamp is { } stamp ? ReadEntry(transcript.Path, stamp) : (null, false);
        });

        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i] is { } entry && cacheable[i])
            {
                Folder(Path.GetDirectoryName(entry.Path)!)[entry.Path] = entry;
                toSave.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Writes read entries to the store, one transaction per folder.</summary>
    public void Save(IReadOnlyCollection<IndexedTranscript> entries)
    {
        foreach (var group in entries.GroupBy(entry => Path.GetDirectoryName(entry.Path)!, StringComparer.Ordinal))
        {
            Save(group.Key, group.ToList(), []);
        }
    }

    /// <summary>One transcript's entry (for a session the store knows), from the index when its stamp holds; null when it cannot be read.</summary>
    public IndexedTranscript? Get(string path)
    {
        var folder = Path.GetDirectoryName(path)!;
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }

        var sidecarFolder = Path.Combine(folder, Path.GetFileNameWithoutExtension(path));
        var stamp = new TranscriptStamp(file.Length, file.LastWriteTimeUtc.Ticks, Path.Exists(sidecarFolder) ? SidecarStamp(sidecarFolder) : string.Empty);
        if (file.LinkTarget is not null)
        {
            return ReadEntry(path, stamp).Entry;
        }

        var known = Folder(folder);
        if (known.TryGetValue(path, out var entry) && entry.Stamp == stamp)
        {
            return entry;
        }

        var (read, cacheable) = ReadEntry(path, stamp);
        if (read is not null && cacheable)
        {
            known[path] = read;
            Save(folder, [read], []);
        }

        return read;
    }

    private ConcurrentDictionary<string, IndexedTranscript> Folder(string folder)
    {
        if (folders.TryGetValue(folder, out var known))
        {
            return known;
        }

        known = new ConcurrentDictionary<string, IndexedTranscript>(StringComparer.Ordinal);
        try
        {
            foreach (var row in store.LoadSummaries(folder, Format))
            {
                known[row.Path] = row;
            }
        }
        catch (SqliteException exception)
        {
            log.Warning($"The summary index could not be read ({exception.Message}); transcripts are read instead.");
        }

        return folders.GetOrAdd(folder, known);
    }

    private void Save(string folder, IReadOnlyCollection<IndexedTranscript> changed, IReadOnlyCollection<string> removed)
    {
        try
        {
            store.SaveSummaries(folder, Format, changed, removed);
        }
        catch (SqliteException exception)
        {
            // The index is a cache: a store that cannot take it costs reads next time, never a wrong answer.
            log.Warning($"The summary index could not be saved: {exception.Message}");
        }
    }

    /// <returns>The entry (null when the file cannot be read), and whether it may be remembered: the file did not change since <paramref name="stamp"/> was taken, and not just now.</returns>
    private (IndexedTranscript? Entry, bool Cacheable) ReadEntry(string path, TranscriptStamp stamp)
    {
        Interlocked.Increment(ref transcriptsRead);
        try
        {
            var summary = TranscriptSummary.Read(path, out var tail);
            var modified = summary.LastModified.UtcDateTime;
            var verdict = TranscriptJudge.Judge(path, (summary.FileSize, modified, tail));
            var readStamp = stamp with { Size = summary.FileSize, ModifiedTicks = modified.Ticks };
            var settled = clock.GetUtcNow().UtcTicks - modified.Ticks >= RacyWindow.Ticks;
            return (new IndexedTranscript(path, readStamp, summary, verdict.Reason), readStamp == stamp && verdict.FileSize == summary.FileSize && settled);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Debug($"Skipped unreadable transcript {path}: {exception.Message}");
            return (null, false);
        }
    }

    private static string SidecarStamp(string sidecarFolder) =>
        FileStamp(Path.Combine(sidecarFolder, ArchiveState.FileName)) + "|" + FileStamp(Path.Combine(sidecarFolder, CustomTitleFileName));

    private static string FileStamp(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{file.Length}:{file.LastWriteTimeUtc.Ticks}") : "-";
    }

    /// <remarks>The name is asked before the attributes: on Unix each ask of <see cref="FileSystemEntry.Attributes"/> works out the read-only bit again, and <see cref="ToItem"/> asks once more.</remarks>
    private static bool IsTranscriptOrFolder(ref FileSystemEntry entry) =>
        entry.IsDirectory || entry.FileName.EndsWith(TranscriptLocator.Extension, StringComparison.Ordinal) || (entry.Attributes & FileAttributes.ReparsePoint) != 0;

    private static FolderItem ToItem(ref FileSystemEntry entry)
    {
        var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
        var name = entry.FileName.ToString();
        var isTranscript = !entry.IsDirectory && name.EndsWith(TranscriptLocator.Extension, StringComparison.Ordinal);
        return isTranscript && !isLink
            ? new FolderItem(name, true, false, false, entry.Length, entry.LastWriteTimeUtc.UtcTicks)
            : new FolderItem(name, isTranscript, entry.IsDirectory || isLink, isLink, 0, 0);
    }

    private sealed record FolderItem(string Name, bool IsTranscript, bool IsDirectoryOrLink, bool IsLink, long Size, long ModifiedTicks);
}
