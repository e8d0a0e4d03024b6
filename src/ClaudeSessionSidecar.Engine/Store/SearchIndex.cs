using System.Collections.Concurrent;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;
using Microsoft.Data.Sqlite;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>A message of a session that holds a term of the search, with a short excerpt around the first one.</summary>
public sealed record SearchMatch(string Uuid, string Type, string? Timestamp, string Snippet);

/// <summary>
/// The full-text index of every transcript's conversation (<see cref="ConversationText"/>): SQLite FTS5, in a
/// database of its own beside the store (<c>search.db</c>), so that building it never holds the metadata's write
/// lock. It is a cache: each transcript's messages are kept with the stamp (size, modification time) they were read
/// at, and a transcript is read again only when its stamp changed, as in the <see cref="SummaryIndex"/>. A file read
/// within <see cref="SummaryIndex.RacyWindow"/> of its last write is read again next time. Matching folds case
/// (Unicode, diacritics kept) and holds word boundaries: the <c>unicode61</c> tokenizer.
/// </summary>
public sealed class SearchIndex
{
    public const string FileName = "search.db";

    /// <summary>The meaning of the rows: a change of what is indexed, or how, drops the index and builds it again.</summary>
    public const int Format = 1;

    /// <summary>The characters of a message kept on either side of the first match in a snippet.</summary>
    public const int SnippetContext = 120;

    private const char MatchStart = '\u0002';

    private const char MatchEnd = '\u0003';

    private const string Schema = """
        CREATE TABLE sources (
            path TEXT PRIMARY KEY NOT NULL,
            session_id TEXT NOT NULL,
            file_size INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            uuid TEXT NOT NULL,
            type TEXT NOT NULL,
            timestamp TEXT,
            text TEXT NOT NULL
        );
        CREATE INDEX messages_by_path ON messages (path);
        CREATE VIRTUAL TABLE messages_text USING fts5 (text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0');
        CREATE TRIGGER messages_added AFTER INSERT ON messages BEGIN
            INSERT INTO messages_text (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER messages_removed AFTER DELETE ON messages BEGIN
            INSERT INTO messages_text (messages_text, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        """;

    private readonly string connectionString;

    private readonly ISidecarLog log;

    private readonly TimeProvider clock;

    private long transcriptsRead;

    private SearchIndex(string path, ISidecarLog log, TimeProvider clock)
    {
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        this.log = log;
        this.clock = clock;
    }

    /// <summary>Transcripts read into the index since it was opened: lets tests show what is read again.</summary>
    public long TranscriptsRead => Interlocked.Read(ref transcriptsRead);

    /// <summary>Opens the index beside the store, creating it (readable by its owner alone) or building it anew when its format is another.</summary>
    public static SearchIndex Open(SessionStore store, ISidecarLog log, TimeProvider? clock = null)
    {
        var path = Path.Combine(store.Directory, FileName);
        if (!OperatingSystem.IsWindows())
        {
            SessionStore.CreateOwnerOnlyFile(path);
        }

        var index = new SearchIndex(path, log, clock ?? TimeProvider.System);
        index.Migrate();
        return index;
    }

    /// <summary>
    /// Makes the index current for these transcripts: each whose stamp changed (or that is new) is read again, in
    /// parallel, and its messages replaced in one transaction (written while the others are read); one gone is
    /// dropped. A folder whose inotify count (<see cref="FolderChanges"/>) has not moved since the last update that
    /// looked at all of its transcripts asked for now is not looked at again: nothing in it changed.
    /// </summary>
    public void Update(IReadOnlyCollection<(string SessionId, string Path)> transcripts)
    {
        var changes = FolderChanges.Shared;
        var toLook = new List<(string SessionId, string Path)>();
        var counts = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var group in transcripts.GroupBy(transcript => System.IO.Path.GetDirectoryName(transcript.Path) ?? string.Empty, StringComparer.Ordinal))
        {
            if (changes is not null && unchangedFolders.TryGetValue(group.Key, out var last) && changes.Changes(group.Key) == last.ChangeCount
                && group.All(transcript => last.Paths.Contains(transcript.Path)))
            {
                continue;
            }

            // Counted before the stamps are taken: a change made while they are makes the count differ next time.
            counts[group.Key] = changes?.Watch(group.Key);
            toLook.AddRange(group);
        }

        if (toLook.Count == 0)
        {
            return;
        }

        var known = Stamps();
        var racyLimit = (clock.GetUtcNow() - SummaryIndex.RacyWindow).UtcTicks;
        // Folders to look at again next time: a transcript could not be read, or was written just now.
        var unreadable = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        using var changed = new BlockingCollection<(string SessionId, string Path, TranscriptStamp? Stamp, IReadOnlyList<ConversationMessageText> Messages)>(boundedCapacity: 256);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? readError = null;
        var readers = new Thread(() =>
        {
            try
            {
                Parallel.ForEach(toLook, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, transcript =>
                {
                    var file = new FileInfo(transcript.Path);
                    if (!file.Exists)
                    {
                        if (known.ContainsKey(transcript.Path))
                        {
                            changed.Add((transcript.SessionId, transcript.Path, null, []));
                        }

                        return;
                    }

                    var stamp = new TranscriptStamp(file.Length, file.LastWriteTimeUtc.Ticks, string.Empty);
                    if (known.TryGetValue(transcript.Path, out var was) && was == stamp)
                    {
                        return;
                    }

                    if (was is { ModifiedTicks: -1 })
                    {
                        unreadable[System.IO.Path.GetDirectoryName(transcript.Path) ?? string.Empty] = true;
                    }

                    IReadOnlyList<ConversationMessageText> messages;
                    try
                    {
                        messages = ConversationText.Read(transcript.Path);
                    }
                    catch (IOException exception)
                    {
                        log.Warning($"Search index: {transcript.Path} could not be read ({exception.Message}).");
                        unreadable[System.IO.Path.GetDirectoryName(transcript.Path) ?? string.Empty] = true;
                        return;
                    }

                    Interlocked.Increment(ref transcriptsRead);

                    // Written just now: a rewrite of the same size within the clock's tick would keep the stamp, so read it again next time
                    // (and look at its folder again, whatever its count says).
                    if (stamp.ModifiedTicks > racyLimit)
                    {
                        unreadable[System.IO.Path.GetDirectoryName(transcript.Path) ?? string.Empty] = true;
                    }

                    changed.Add((transcript.SessionId, transcript.Path, stamp.ModifiedTicks > racyLimit ? stamp with { ModifiedTicks = -1 } : stamp, messages));
                });
            }
            catch (Exception exception)
            {
                readError = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception);
            }
            finally
            {
                changed.CompleteAdding();
            }
        }) { IsBackground = true, Name = "search index readers" };
        readers.Start();

        var written = 0;
        SqliteConnection? connection = null;
        SqliteTransaction? transaction = null;
        var commands = new List<SqliteCommand>();
        try
        {
            foreach (var (sessionId, path, stamp, messages) in changed.GetConsumingEnumerable())
            {
                if (connection is null)
                {
                    connection = OpenConnection();
                    using (var pragma = Command(connection, "PRAGMA synchronous = NORMAL"))
                    {
                        pragma.ExecuteNonQuery();
                    }

                    transaction = connection.BeginTransaction(deferred: false);
                    commands.Add(Command(connection, "DELETE FROM messages WHERE path = $path", "$path"));
                    commands.Add(Command(connection, "DELETE FROM sources WHERE path = $path", "$path"));
                    commands.Add(Command(connection, "INSERT INTO messages (path, uuid, type, timestamp, text) VALUES ($path, $uuid, $type, $timestamp, $text)", "$path", "$uuid", "$type", "$timestamp", "$text"));
                    commands.Add(Command(connection, "INSERT OR REPLACE INTO sources (path, session_id, file_size, modified_ticks) VALUES ($path, $id, $size, $modified)", "$path", "$id", "$size", "$modified"));
                }

                var (delete, forget, insert, source) = (commands[0], commands[1], commands[2], commands[3]);
                written++;
                if (known.ContainsKey(path))
                {
                    Run(delete, path);
                }

                if (stamp is not { } current)
                {
                    Run(forget, path);
                    continue;
                }

                foreach (var message in messages)
                {
                    Run(insert, path, message.Uuid, message.Type, (object?)message.Timestamp ?? DBNull.Value, message.Text);
                }

                Run(source, path, sessionId, current.Size, current.ModifiedTicks);
            }

            readers.Join();
            readError?.Throw();
            transaction?.Commit();
        }
        finally
        {
            // A failed write: the readers stop at the next transcript (nothing takes from the queue any more).
            if (readers.IsAlive)
            {
                foreach (var _ in changed.GetConsumingEnumerable())
                {
                }

                readers.Join();
            }

            commands.ForEach(command => command.Dispose());
            transaction?.Dispose();
            connection?.Dispose();
        }

        foreach (var (folder, count) in counts)
        {
            if (count is { } value && !unreadable.ContainsKey(folder))
            {
                unchangedFolders[folder] = new LookedAt(value, toLook.Where(transcript => (System.IO.Path.GetDirectoryName(transcript.Path) ?? string.Empty) == folder).Select(transcript => transcript.Path).ToHashSet(StringComparer.Ordinal));
            }
            else
            {
                unchangedFolders.TryRemove(folder, out _);
            }
        }

        if (written > 0)
        {
            log.Debug($"Search index: {written} transcripts read again.");
        }
    }

    /// <summary>A folder's inotify count when an update looked at these transcripts of it (and found them current, or made them so).</summary>
    private sealed record LookedAt(long ChangeCount, HashSet<string> Paths);

    private readonly ConcurrentDictionary<string, LookedAt> unchangedFolders = new(StringComparer.Ordinal);

    /// <summary>The transcripts among <paramref name="paths"/> whose conversation holds every term of the query.</summary>
    public IReadOnlySet<string> Find(SearchQuery query, IReadOnlySet<string> paths)
    {
        using var connection = OpenConnection();
        HashSet<string>? found = null;
        foreach (var term in query.WordTerms)
        {
            using var command = Command(connection, "SELECT DISTINCT m.path FROM messages_text JOIN messages m ON m.id = messages_text.rowid WHERE messages_text MATCH $term", "$term");
            command.Parameters[0].Value = term.FtsPhrase;
            var holding = new HashSet<string>(StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var path = reader.GetString(0);
                    if (paths.Contains(path) && (found is null || found.Contains(path)))
                    {
                        holding.Add(path);
                    }
                }
            }

            found = holding;
            if (found.Count == 0)
            {
                return found;
            }
        }

        var literals = query.LiteralTerms.ToList();
        if (literals.Count == 0)
        {
            return found ?? [];
        }

        // Punctuation alone is not in the index's words: each such term is looked for as written, session by session.
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in found ?? paths)
        {
            var texts = Texts(connection, path);
            if (literals.All(term => texts.Any(text => text.Contains(term.Text, StringComparison.OrdinalIgnoreCase))))
            {
                result.Add(path);
            }
        }

        return result;
    }

    /// <summary>
    /// For each of these transcripts (a page of hits), the messages that hold a term of the query, in conversation
    /// order, at most <paramref name="limit"/> each, with a snippet around the first match. One pass over the terms'
    /// index entries for the whole page: a query per transcript would walk them once per hit.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<SearchMatch>> Matches(SearchQuery query, IReadOnlyCollection<string> paths, int limit)
    {
        var found = paths.ToDictionary(path => path, _ => new List<(long Id, SearchMatch Match)>(), StringComparer.Ordinal);
        if (found.Count == 0)
        {
            return new Dictionary<string, IReadOnlyList<SearchMatch>>(StringComparer.Ordinal);
        }

        using var connection = OpenConnection();
        var pathList = new Newtonsoft.Json.Linq.JArray(paths).ToString(Newtonsoft.Json.Formatting.None);
        var words = query.WordTerms.Select(term => term.FtsPhrase).ToList();
        if (words.Count > 0)
        {
            using var command = Command(
                connection,
                $"SELECT m.path, m.id, m.uuid, m.type, m.timestamp, highlight(messages_text, 0, char({(int)MatchStart}), char({(int)MatchEnd})) FROM messages_text JOIN messages m ON m.id = messages_text.rowid WHERE messages_text MATCH $terms AND m.path IN (SELECT value FROM json_each($paths)) ORDER BY m.id",
                "$terms",
                "$paths");
            command.Parameters[0].Value = string.Join(" OR ", words);
            command.Parameters[1].Value = pathList;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var matches = found[reader.GetString(0)];
                if (matches.Count < limit)
                {
                    var marked = reader.GetString(5);
                    matches.Add((reader.GetInt64(1), new SearchMatch(reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), SnippetAround(marked, marked.IndexOf(MatchStart), 0))));
                }
            }
        }

        var literals = query.LiteralTerms.ToList();
        if (literals.Count > 0)
        {
            using var command = Command(connection, "SELECT path, id, uuid, type, timestamp, text FROM messages WHERE path IN (SELECT value FROM json_each($paths)) ORDER BY id", "$paths");
            command.Parameters[0].Value = pathList;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var text = reader.GetString(5);
                var at = literals.Select(term => (Term: term, At: text.IndexOf(term.Text, StringComparison.OrdinalIgnoreCase))).Where(hit => hit.At >= 0).OrderBy(hit => hit.At).FirstOrDefault();
                var id = reader.GetInt64(1);
                var matches = found[reader.GetString(0)];
                if (at.Term is not null && matches.All(match => match.Id != id))
                {
                    matches.Add((id, new SearchMatch(reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), SnippetAround(text, at.At, at.Term.Text.Length))));
                }
            }
        }

        return found.ToDictionary(
            pair => pair.Key,
            pair => (IReadOnlyList<SearchMatch>)pair.Value.OrderBy(match => match.Id).Take(limit).Select(match => match.Match).ToList(),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// At most <see cref="SnippetContext"/> characters on each side of the match at <paramref name="at"/> (never half a
    /// surrogate pair), with "…" where text was cut. In a highlighted text the markers are removed.
    /// </summary>
    internal static string SnippetAround(string text, int at, int length)
    {
        at = Math.Max(at, 0);
        var start = Math.Max(0, at - SnippetContext);
        var end = Math.Min(text.Length, at + Math.Max(length, 1) + SnippetContext);
        if (start > 0 && char.IsLowSurrogate(text[start]))
        {
            start--;
        }

        if (end < text.Length && char.IsLowSurrogate(text[end]))
        {
            end++;
        }

        var snippet = new StringBuilder();
        if (start > 0)
        {
            snippet.Append('…');
        }

        foreach (var c in text.AsSpan(start, end - start))
        {
            if (c is not (MatchStart or MatchEnd))
            {
                snippet.Append(c);
            }
        }

        if (end < text.Length)
        {
            snippet.Append('…');
        }

        return snippet.ToString().Replace('\n', ' ');
    }

    private static List<string> Texts(SqliteConnection connection, string path)
    {
        using var command = Command(connection, "SELECT text FROM messages WHERE path = $path", "$path");
        command.Parameters[0].Value = path;
        var texts = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }

    private Dictionary<string, TranscriptStamp> Stamps()
    {
        using var connection = OpenConnection();
        using var command = Command(connection, "SELECT path, file_size, modified_ticks FROM sources");
        var stamps = new Dictionary<string, TranscriptStamp>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            stamps[reader.GetString(0)] = new TranscriptStamp(reader.GetInt64(1), reader.GetInt64(2), string.Empty);
        }

        return stamps;
    }

    private void Migrate()
    {
        using var connection = OpenConnection();
        using (var wal = Command(connection, "PRAGMA journal_mode = WAL"))
        {
            wal.ExecuteNonQuery();
        }

        // Immediate: two processes opening a new index at once build it one after the other.
        using var transaction = connection.BeginTransaction(deferred: false);
        using var read = Command(connection, "PRAGMA user_version");
        var format = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (format != Format)
        {
            using var rebuild = Command(connection, (format == 0 ? string.Empty : "DROP TABLE IF EXISTS messages_text; DROP TABLE IF EXISTS messages; DROP TABLE IF EXISTS sources; ") + Schema + $"; PRAGMA user_version = {Format};");
            rebuild.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }
}
