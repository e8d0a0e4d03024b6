using System.Threading.Channels;
using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// With a PostgreSQL store: keeps the store's copy of each session's transcripts equal to the files the CLI writes
/// here, and the files here up to date with the store's copy before a turn (docs/postgres-store.md). The local file is
/// the truth at the end of a turn run here; the store's is the truth before one.
/// </summary>
public sealed class TranscriptMirror(PostgresStore shared, SessionStore local, TranscriptLocator locator, ISidecarLog log, TimeProvider clock) : IAsyncDisposable
{
    /// <summary>The CLI's cache lines: not in its mirror frames, and not needed to resume.</summary>
    private static readonly HashSet<string> UnmirroredTypes = new(["api-request", "api-request-shape", "api-request-blob"], StringComparer.Ordinal);

    private const string MetaSuffix = ".meta.json";

    private readonly CancellationTokenSource stopping = new();

    /// <summary>Sessions started here whose record the database has not got yet (it went away as they started).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SessionRecord> unsaved = new(StringComparer.Ordinal);
    private Task? retrying;

    public PostgresStore Shared => shared;

    /// <summary>The search index of the store's copies: written here each time the store's copy is made equal to a local file.</summary>
    public PostgresSearchIndex SearchIndex { get; } = new(shared);

    private ISidecarLog Log => log;

    /// <summary>Where the CLI's path rule puts the session's transcript on this machine.</summary>
    public string TranscriptPath(SessionRecord record) => TranscriptPath(record.SessionId, SessionCatalog.RealWorkingDirectoryOf(record));

    /// <summary>The session's transcript here: the one the CLI would resume (it looks in other project folders too), else where its path rule puts it.</summary>
    public string LocalTranscriptPath(SessionRecord record) =>
        locator.Locate(record.SessionId, SessionCatalog.RealWorkingDirectoryOf(record)) ?? TranscriptPath(record);

    public string TranscriptPath(string sessionId, string realWorkingDirectory) =>
        Path.Combine(locator.ConfigDirectory.ProjectsPath, ProjectDirectoryName.Encode(realWorkingDirectory), sessionId + TranscriptLocator.Extension);

    /// <summary>
    /// A turn is about to write the local transcript: until it is reconciled the local copy is ahead of the store's
    /// (remembered here, so that a server killed mid-turn mirrors it when it starts again). The returned observer
    /// stores the turn's <c>transcript_mirror</c> frames as they arrive, off the reading loop.
    /// </summary>
    public MirroringObserver Observe(ITurnObserver inner, string sessionId, string transcriptPath)
    {
        local.MarkPendingMirror(sessionId, Key(transcriptPath), clock.GetUtcNow());
        return new(inner, this, transcriptPath);
    }

    /// <summary>Keeps a new session's record until the database takes it, with its transcript (at its reconciliation).</summary>
    public void KeepUnsaved(SessionRecord record) => unsaved[record.SessionId] = record;

    /// <summary>Mirrors a change made here outside a turn (a title, a tag, a fork); pending until the database takes it.</summary>
    public bool MirrorEdit(string sessionId, string transcriptPath)
    {
        local.MarkPendingMirror(sessionId, Key(transcriptPath), clock.GetUtcNow());
        return Reconcile(sessionId, transcriptPath);
    }

    /// <inheritdoc cref="Reconcile(string, string, out bool)"/>
    public bool Reconcile(string sessionId, string transcriptPath) => Reconcile(sessionId, transcriptPath, out _);

    /// <summary>
    /// Makes the store's copy equal to the local files (the missing tail appended, or replaced where they differ), and
    /// judges the session again for the listings. The caller holds the session's lock. A store's copy that has lines a
    /// local file lacks is never replaced (another writer moved it on): then, as before a turn, the store's copy wins and
    /// is written here, the local file kept beside it (<c>.diverged-&lt;ms&gt;</c>) if it held lines the store lacks.
    /// </summary>
    /// <param name="rewritten">Whether the local files were written from the store's copy (a live process no longer knows them).</param>
    /// <returns>
    /// False when the store's copy does not hold the local lines: the database could not be reached (the session stays
    /// pending, mirrored when it is back), or both copies had moved on (the local one is kept beside the store's).
    /// </returns>
    public bool Reconcile(string sessionId, string transcriptPath, out bool rewritten)
    {
        rewritten = false;
        try
        {
            var record = shared.Get(sessionId);
            if (record is null && unsaved.TryGetValue(sessionId, out var waiting))
            {
                shared.Insert(waiting);
                unsaved.TryRemove(sessionId, out _);
                record = shared.Get(sessionId);
            }

            if (record?.Shared is not { } before)
            {
                // Not a session of the store (nor one this process started): its transcript stays this machine's.
                local.ClearPendingMirror(Key(transcriptPath));
                return true;
            }

            var mirrored = true;
            if (File.Exists(transcriptPath))
            {
                var version = before.Version;
                var storeAhead = new List<(string Path, bool HasOwnLines)>();
                foreach (var (subpath, path) in LocalFiles(sessionId, transcriptPath))
                {
                    var lines = ReadLocal(subpath, path);
                    var (written, missingHere, ownLines) = MakeEqual(before.ProjectKey, sessionId, subpath, lines);
                    version = written ?? version;
                    if (missingHere)
                    {
                        storeAhead.Add((path, ownLines));
                    }
                }

                if (storeAhead.Count > 0)
                {
                    foreach (var (path, _) in storeAhead.Where(file => file.HasOwnLines))
                    {
                        var kept = KeepDiverged(path);
                        log.Warning($"Session {sessionId}: the local transcript and the store's both moved on (the store's without the session's lock); the store's copy is used, the local one kept as {kept}.");
                    }

                    // Only the store moved on: what is here is all in the store's copy, so the turn is mirrored.
                    mirrored = storeAhead.All(file => !file.HasOwnLines);
                    if (mirrored)
                    {
                        log.Warning($"Session {sessionId}: the store's copy has lines the local one lacks; it is written here rather than replaced.");
                    }

                    rewritten = true;
                    Materialize(sessionId, before.ProjectKey, transcriptPath);
                    version = shared.Get(sessionId)?.Shared?.Version ?? version;
                }

                shared.SaveJudgement(sessionId, Judge(before.ProjectKey, version, transcriptPath));
                Index(sessionId, version, transcriptPath);
                var file = new FileInfo(transcriptPath);
                local.SaveMirrored(Key(transcriptPath), sessionId, version, file.Length, file.LastWriteTimeUtc.Ticks);
            }

            local.ClearPendingMirror(Key(transcriptPath));
            return mirrored;
        }
        catch (StoreUnavailableException exception)
        {
            log.Warning($"Session {sessionId}: its transcript could not be mirrored ({exception.Message}); it will be when the database is back.");
            return false;
        }
    }

    /// <summary>
    /// Indexes the conversation of the local file, equal to the store's copy at <paramref name="version"/>, for searches
    /// on every machine. The mirror does not depend on it: when it fails, the next search reads the store's copy.
    /// </summary>
    private void Index(string sessionId, long version, string transcriptPath)
    {
        try
        {
            SearchIndex.Save(sessionId, version, () => ConversationText.Read(transcriptPath));
        }
        catch (Exception exception) when (exception is StoreUnavailableException or Npgsql.PostgresException or IOException)
        {
            log.Warning($"Session {sessionId}: its conversation was not indexed for search ({exception.Message}); the next search reads the store's copy.");
        }
    }

    /// <summary>
    /// Makes one file's stored lines equal to the local ones: nothing when they are, the missing tail when the local file
    /// only added lines (seen from the stored count and last line, without reading the store's copy), all replaced when
    /// they differ elsewhere but the local file holds every stored line; else nothing (the store's copy is ahead).
    /// </summary>
    /// <returns>
    /// The session's version after a write (null when nothing was written); whether the store has lines the local file
    /// lacks (it was then left as it is); and if so, whether the local file has lines the store lacks too.
    /// </returns>
    private (long? Version, bool MissingHere, bool OwnLines) MakeEqual(string projectKey, string sessionId, string subpath, List<MirrorEntry> lines)
    {
        var (count, last) = shared.Tail(projectKey, sessionId, subpath);
        if (count <= lines.Count && (count == 0 || Canonical(last!) == lines[count - 1].Json))
        {
            return (count == lines.Count ? null : shared.Write(projectKey, sessionId, subpath, lines.Skip(count).ToList(), MirrorWrite.AppendAll), false, false);
        }

        var stored = shared.Load(projectKey, sessionId, subpath);
        var prefix = CommonPrefix(stored, lines);
        if (prefix == stored.Count && prefix == lines.Count)
        {
            return (null, false, false);
        }

        if (prefix == stored.Count)
        {
            return (shared.Write(projectKey, sessionId, subpath, lines.Skip(prefix).ToList(), MirrorWrite.AppendAll), false, false);
        }

        // A subagent's metadata file is one object the CLI rewrites: the local one replaces the stored one.
        var storedEntries = stored.Skip(prefix).Select(StoredEntry).ToList();
        if (!subpath.EndsWith(MetaSuffix, StringComparison.Ordinal) && AnyMissing(storedEntries, lines))
        {
            return (null, true, AnyMissing(lines.Skip(prefix), storedEntries, conversationOnly: true));
        }

        return (shared.Write(projectKey, sessionId, subpath, lines, MirrorWrite.Replace), false, false);
    }

    /// <summary>
    /// Whether the local transcript is at least as new as the store's copy: it has turns the store has not got yet, it
    /// changed here since it was last made equal to the store's, or the store has not changed since.
    /// </summary>
    /// <param name="state">This machine's side of the mirror read once for many sessions (a listing); null to read it for this one.</param>
    /// <remarks>
    /// This is bookkeeping, not a look at the store's lines: before a turn, <see cref="NeedsRefresh"/> also compares them,
    /// so that bookkeeping that is wrong can cost a refresh but never a turn the store has.
    /// </remarks>
    public bool IsLocalCurrent(SessionRecord record, string transcriptPath, LocalMirrorState? state = null)
    {
        if (!File.Exists(transcriptPath))
        {
            return false;
        }

        var key = Key(transcriptPath);
        if (state is not null ? state.Pending.Contains(key) : local.IsPendingMirror(key))
        {
            return true;
        }

        var mirrored = state is not null ? state.Mirrored.TryGetValue(key, out var row) ? row : default((long, long, long)?) : local.GetMirrored(key);
        if (mirrored is null)
        {
            // Never made equal here: the store's copy is the one to trust, unless it has none.
            return record.Shared is not { Version: > 0 };
        }

        var (version, fileSize, modifiedTicks) = mirrored.Value;
        var file = new FileInfo(transcriptPath);
        return version == record.Shared?.Version || file.Length != fileSize || file.LastWriteTimeUtc.Ticks != modifiedTicks;
    }

    /// <summary>This machine's side of the mirror, read in two queries: what a listing's <see cref="IsLocalCurrent"/> asks of each session.</summary>
    public LocalMirrorState ReadLocalState() => new(local.PendingMirrors().Select(pending => pending.TranscriptPath).ToHashSet(StringComparer.Ordinal), local.AllMirrored());

    /// <summary>
    /// Whether the local transcript must be refreshed from the store's copy before a turn or an edit: the bookkeeping says
    /// it is not current, or it lacks the store's last line where the store has it (one query, and a read of the local file).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public bool NeedsRefresh(SessionRecord record, string transcriptPath)
    {
        if (!IsLocalCurrent(record, transcriptPath))
        {
            return true;
        }

        if (record.Shared is not { } sharedCopy)
        {
            return false;
        }

        var (count, last) = shared.Tail(sharedCopy.ProjectKey, record.SessionId, string.Empty);
        if (count == 0)
        {
            return false;
        }

        var lines = ReadLocal(string.Empty, transcriptPath);
        if (lines.Count >= count && Canonical(last!) == lines[count - 1].Json)
        {
            return false;
        }

        log.Info($"Session {record.SessionId}: the local transcript lacks lines of the store's copy ({lines.Count} lines here, {count} there); refreshing it.");
        return true;
    }

    /// <summary>
    /// Brings the local transcript up to date with the store's copy: written from it when missing or behind; mirrored
    /// to it when ahead; when both moved on, the store's copy wins and the local file is kept beside it
    /// (<c>.diverged-&lt;ms&gt;</c>) if it held conversation the store lacks. The caller holds the session's lock.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public void Refresh(SessionRecord record, string transcriptPath)
    {
        if (record.Shared is not { } sharedCopy)
        {
            return;
        }

        var stored = shared.Load(sharedCopy.ProjectKey, record.SessionId, subpath: string.Empty);
        var lines = File.Exists(transcriptPath) ? ReadLocal(string.Empty, transcriptPath) : [];
        var prefix = CommonPrefix(stored, lines);
        if (stored.Count == 0)
        {
            return;
        }

        if (prefix == stored.Count && prefix == lines.Count)
        {
            // Equal: said so, so that the next turn need not look again.
            var file = new FileInfo(transcriptPath);
            local.SaveMirrored(Key(transcriptPath), record.SessionId, sharedCopy.Version, file.Length, file.LastWriteTimeUtc.Ticks);
            return;
        }

        if (prefix == stored.Count)
        {
            Reconcile(record.SessionId, transcriptPath);
            return;
        }

        if (prefix < lines.Count && AnyMissing(lines.Skip(prefix), stored.Skip(prefix).Select(StoredEntry).ToList(), conversationOnly: true))
        {
            var kept = KeepDiverged(transcriptPath);
            log.Warning($"Session {record.SessionId}: the local transcript and the store's both moved on; the store's copy is used, the local one kept as {kept}.");
        }

        Materialize(record.SessionId, sharedCopy.ProjectKey, transcriptPath);
    }

    /// <summary>The store's verdict on its copy, judged now if it changed since it was last judged (written by the SDK, say).</summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public SharedTranscript Judged(SessionRecord record)
    {
        var sharedCopy = record.Shared!;
        if (sharedCopy.IsJudged)
        {
            return sharedCopy;
        }

        var lines = shared.Load(sharedCopy.ProjectKey, record.SessionId, string.Empty);
        if (lines.Count == 0)
        {
            return sharedCopy with { JudgedVersion = sharedCopy.Version, Reason = NotResumableReason.SessionFileMissing };
        }

        var folder = Directory.CreateTempSubdirectory("sidecar-judge-");
        try
        {
            var path = Path.Combine(folder.FullName, record.SessionId + TranscriptLocator.Extension);
            File.WriteAllLines(path, lines);
            var judged = Judge(sharedCopy.ProjectKey, sharedCopy.Version, path);
            shared.SaveJudgement(record.SessionId, judged);
            return judged;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Mirrors, in the background, the sessions whose local turns the store has not got; every few seconds while some wait.</summary>
    public void StartRetrying(TimeSpan period)
    {
        retrying = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period, clock);
            do
            {
                ReconcilePending();
            }
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false));
        });
    }

    /// <summary>Mirrors every pending session that no turn holds now.</summary>
    public void ReconcilePending()
    {
        try
        {
            // The local store may be another config folder's too (its default folder is shared): its server mirrors those.
            var projects = Key(locator.ConfigDirectory.ProjectsPath) + Path.DirectorySeparatorChar;
            foreach (var (sessionId, transcriptPath) in local.PendingMirrors().Where(pending => pending.TranscriptPath.StartsWith(projects, StringComparison.Ordinal)))
            {
                using var sessionLock = shared.TryLock(sessionId);
                if (sessionLock is not null && Reconcile(sessionId, transcriptPath))
                {
                    log.Info($"Session {sessionId}: its local turns are mirrored now.");
                }
            }
        }
        catch (StoreUnavailableException)
        {
            // Still away; the next round tries again.
        }
        catch (Exception exception) when (exception is IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            log.Warning($"Mirroring pending sessions failed: {exception.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (retrying is not null)
        {
            try
            {
                await retrying;
            }
            catch (OperationCanceledException)
            {
            }
        }

        stopping.Dispose();
    }

    /// <summary>Writes the store's copy (main transcript and subagent files) where the CLI's path rule looks.</summary>
    private void Materialize(string sessionId, string projectKey, string transcriptPath)
    {
        foreach (var subpath in shared.Subpaths(projectKey, sessionId))
        {
            var path = PathOf(sessionId, transcriptPath, subpath);
            if (path is null)
            {
                log.Warning($"Session {sessionId}: skipped the stored subpath '{subpath}', which would leave the session's folder.");
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".materializing";
            File.WriteAllLines(temporary, shared.Load(projectKey, sessionId, subpath));
            File.Move(temporary, path, overwrite: true);
        }

        var version = shared.Get(sessionId)?.Shared?.Version ?? 0;
        var file = new FileInfo(transcriptPath);
        local.SaveMirrored(Key(transcriptPath), sessionId, version, file.Length, file.LastWriteTimeUtc.Ticks);
        log.Info($"Session {sessionId}: its transcript was written from the store ({file.Length} bytes).");
    }

    /// <summary>Keeps a copy of a local file beside it, <c>&lt;file&gt;.diverged-&lt;ms&gt;</c>, before the store's copy is written over it.</summary>
    private string KeepDiverged(string path)
    {
        var kept = $"{path}.diverged-{clock.GetUtcNow().ToUnixTimeMilliseconds()}";
        File.Copy(path, kept, overwrite: true);
        return kept;
    }

    /// <summary>The bookkeeping's key of a local transcript: its full path (each config folder has its own copy of a session).</summary>
    private static string Key(string transcriptPath) => Path.GetFullPath(transcriptPath);

    /// <summary>The local file of a stored subpath: "" is the transcript, "subagents/agent-x" its folder's <c>subagents/agent-x.jsonl</c>.</summary>
    private static string? PathOf(string sessionId, string transcriptPath, string subpath)
    {
        if (subpath.Length == 0)
        {
            return transcriptPath;
        }

        var folder = Path.Combine(Path.GetDirectoryName(transcriptPath)!, sessionId);
        var path = Path.GetFullPath(Path.Combine(folder, subpath.EndsWith(MetaSuffix, StringComparison.Ordinal) ? subpath : subpath + TranscriptLocator.Extension));
        return path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path : null;
    }

    /// <summary>The session's local files and their subpaths: the transcript, then each subagent's transcript and metadata.</summary>
    private static IEnumerable<(string Subpath, string Path)> LocalFiles(string sessionId, string transcriptPath)
    {
        yield return (string.Empty, transcriptPath);
        var subagents = Path.Combine(Path.GetDirectoryName(transcriptPath)!, sessionId, "subagents");
        if (!Directory.Exists(subagents))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(subagents).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(TranscriptLocator.Extension, StringComparison.Ordinal))
            {
                yield return ("subagents/" + Path.GetFileNameWithoutExtension(name), path);
            }
            else if (name.EndsWith(MetaSuffix, StringComparison.Ordinal))
            {
                yield return ("subagents/" + name, path);
            }
        }
    }

    /// <summary>A local file's lines as the store keeps them: each JSON object rewritten compactly; cache lines and broken lines left out.</summary>
    private static List<MirrorEntry> ReadLocal(string subpath, string path)
    {
        var entries = new List<MirrorEntry>();
        if (subpath.EndsWith(MetaSuffix, StringComparison.Ordinal))
        {
            if (TranscriptLines.TryParseObject(File.ReadAllText(path)) is { } meta)
            {
                entries.Add(new MirrorEntry(null, meta.ToString(Formatting.None)));
            }

            return entries;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.Length > 0 && TranscriptLines.TryParseObject(line) is { } entry && ToEntry(entry) is { } mirrored)
            {
                entries.Add(mirrored);
            }
        }

        return entries;
    }

    /// <summary>A transcript entry as the store keeps it; null for the lines it does not keep.</summary>
    internal static MirrorEntry? ToEntry(JObject entry) =>
        (string?)entry["type"] is { } type && UnmirroredTypes.Contains(type) ? null : new MirrorEntry(entry["uuid"]?.Type == JTokenType.String ? (string?)entry["uuid"] : null, entry.ToString(Formatting.None));

    private static bool IsAgentMetadata(JObject entry) => (string?)entry["type"] == "agent_metadata";

    /// <summary>A stored line as <see cref="ReadLocal"/> reads a local one: its uuid, and the line compacted.</summary>
    private static MirrorEntry StoredEntry(string json) =>
        TranscriptLines.TryParseObject(json) is { } entry ? new MirrorEntry(entry["uuid"]?.Type == JTokenType.String ? (string?)entry["uuid"] : null, entry.ToString(Formatting.None)) : new MirrorEntry(null, json);

    /// <summary>Whether some of the lines are not among the others: a line with a uuid looked for by its uuid, one without by its content.</summary>
    /// <param name="conversationOnly">Only lines with a uuid count: the conversation, not the CLI's bookkeeping (the <c>cost-state</c> a live CLI writes as it closes, say).</param>
    private static bool AnyMissing(IEnumerable<MirrorEntry> lines, IReadOnlyCollection<MirrorEntry> among, bool conversationOnly = false)
    {
        var uuids = among.Select(line => line.Uuid).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var others = among.Where(line => line.Uuid is null).Select(line => line.Json).ToHashSet(StringComparer.Ordinal);
        return lines.Any(line => line.Uuid is { } uuid ? !uuids.Contains(uuid) : !conversationOnly && !others.Contains(line.Json));
    }

    /// <summary>How many leading lines the store's copy and the local one share (compared as the store keeps them).</summary>
    private static int CommonPrefix(List<string> stored, List<MirrorEntry> lines)
    {
        var count = 0;
        while (count < stored.Count && count < lines.Count && Canonical(stored[count]) == lines[count].Json)
        {
            count++;
        }

        return count;
    }

    /// <summary>A stored line as <see cref="ReadLocal"/> writes it (a line another writer stored may be spaced differently).</summary>
    private static string Canonical(string json) => TranscriptLines.TryParseObject(json)?.ToString(Formatting.None) ?? json;

    private static SharedTranscript Judge(string projectKey, long version, string path)
    {
        var verdict = TranscriptJudge.Judge(path);
        var summary = TranscriptSummary.Read(path);
        return new SharedTranscript(projectKey, version, version, verdict.Reason, verdict.FileSize, summary.LastModified, summary.CustomTitle, summary.Tag, summary.Archived,
            summary.GitBranch, summary.FirstPrompt, summary.IsProgrammatic)
        {
            Usage = summary.Usage,
        };
    }

    /// <summary>The sessions whose local turns the store has not got, and the store version each local copy was last made equal to.</summary>
    public sealed record LocalMirrorState(HashSet<string> Pending, Dictionary<string, (long Version, long FileSize, long ModifiedTicks)> Mirrored);

    /// <summary>Passes a turn on, storing its mirror frames' entries as they arrive (on one background writer, so the stream never waits for the database).</summary>
    public sealed class MirroringObserver(ITurnObserver inner, TranscriptMirror mirror, string transcriptPath) : ITurnObserver
    {
        private readonly Channel<(string Subpath, List<MirrorEntry> Entries, MirrorWrite Mode)> frames =
            Channel.CreateUnbounded<(string, List<MirrorEntry>, MirrorWrite)>(new UnboundedChannelOptions { SingleReader = true });
        private Task<string>? writer;
        private Task<bool>? finished;

        public ValueTask OnSessionStartedAsync(string sessionId)
        {
            writer ??= Task.Run(() => WriteAsync(sessionId));
            return inner.OnSessionStartedAsync(sessionId);
        }

        public ValueTask OnMessageAsync(string sessionId, JObject message) => inner.OnMessageAsync(sessionId, message);

        public ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken) =>
            inner.RequestPermissionAsync(sessionId, request, cancellationToken);

        public ValueTask OnTranscriptMirrorAsync(string sessionId, JObject frame)
        {
            if ((string?)frame["filePath"] is { } filePath && frame["entries"] is JArray entries && PathToSubpath(sessionId, filePath) is { } subpath)
            {
                // A subagent's metadata file comes as {"type":"agent_metadata", ...the file} entries of its transcript;
                // the store keeps the file itself, under its own subpath (the SDK adapter translates back).
                var lines = entries.OfType<JObject>().ToList();
                frames.Writer.TryWrite((subpath, lines.Where(line => !IsAgentMetadata(line)).Select(ToEntry).OfType<MirrorEntry>().ToList(), MirrorWrite.Append));
                if (subpath.Length > 0 && lines.LastOrDefault(IsAgentMetadata) is { } metadata)
                {
                    var file = (JObject)metadata.DeepClone();
                    file.Remove("type");
                    frames.Writer.TryWrite((subpath + MetaSuffix, [new MirrorEntry(null, file.ToString(Formatting.None))], MirrorWrite.Replace));
                }
            }

            return ValueTask.CompletedTask;
        }

        /// <summary>Whether the reconcile wrote the local files from the store's copy (it had moved on): the turn's process does not know them.</summary>
        public bool LocalRewritten { get; private set; }

        /// <summary>Waits for the frames received to be stored (or given up on), then reconciles the store's copy with the local files.</summary>
        /// <returns>False when the store's copy does not hold the turn: the database could not be reached (the session is mirrored when it is back), or the store's copy had moved on too.</returns>
        public Task<bool> FinishAsync() => finished ??= FinishOnceAsync();

        private async Task<bool> FinishOnceAsync()
        {
            frames.Writer.TryComplete();
            var sessionId = writer is null ? null : await writer;
            return sessionId is null || await Task.Run(() =>
            {
                var mirrored = mirror.Reconcile(sessionId, transcriptPath, out var rewritten);
                LocalRewritten = rewritten;
                return mirrored;
            });
        }

        private async Task<string> WriteAsync(string sessionId)
        {
            string? projectKey = null;
            var failed = false;
            await foreach (var (subpath, entries, mode) in frames.Reader.ReadAllAsync())
            {
                if (failed)
                {
                    continue;
                }

                try
                {
                    // The session's key as stored: its record exists once the CLI has announced it.
                    projectKey ??= mirror.Shared.Get(sessionId)?.Shared?.ProjectKey;
                    if (projectKey is not null)
                    {
                        mirror.Shared.Write(projectKey, sessionId, subpath, entries, mode);
                    }
                }
                catch (Exception exception) when (exception is StoreUnavailableException or Npgsql.PostgresException)
                {
                    // The local file keeps everything; the end of the turn (or the retry after it) mirrors it.
                    failed = true;
                    mirror.Log.Warning($"Session {sessionId}: mirroring stopped for this turn: {exception.Message}");
                }
            }

            return sessionId;
        }

        /// <summary>The subpath of a file the CLI mirrored: "" for the transcript, "subagents/agent-x" inside its folder; null for any other.</summary>
        private string? PathToSubpath(string sessionId, string filePath)
        {
            var full = Path.GetFullPath(filePath);
            if (full == Path.GetFullPath(transcriptPath))
            {
                return string.Empty;
            }

            var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(transcriptPath))!, sessionId) + Path.DirectorySeparatorChar;
            return full.StartsWith(folder, StringComparison.Ordinal) && full.EndsWith(TranscriptLocator.Extension, StringComparison.Ordinal)
                ? Path.GetRelativePath(folder, full)[..^TranscriptLocator.Extension.Length].Replace(Path.DirectorySeparatorChar, '/')
                : null;
        }
    }
}
