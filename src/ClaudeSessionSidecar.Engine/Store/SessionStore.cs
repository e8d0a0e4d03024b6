using Microsoft.Data.Sqlite;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// Session metadata in SQLite (WAL mode), shared safely by several server processes: every write is one
/// statement or one immediate transaction, and a busy database is waited for rather than failed.
/// </summary>
public sealed class SessionStore : ISessionRecords
{
    public const string FileName = "sessions.db";

    /// <summary>The schema this build writes; older stores are migrated forward on open.</summary>
    public const int SchemaVersion = 8;

    private static readonly string[] Migrations =
    [
        // 1: the first schema.
        """
        CREATE TABLE sessions (
            session_id TEXT PRIMARY KEY NOT NULL,
            user_id TEXT NOT NULL,
            working_directory TEXT NOT NULL,
            real_working_directory TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            last_active_at_ms INTEGER NOT NULL,
            title TEXT NOT NULL,
            first_prompt TEXT NOT NULL
        );
        CREATE INDEX sessions_by_user_activity ON sessions (user_id, last_active_at_ms DESC);
        """,

        // 2: the summary index (SummaryIndex): what listing needs of each transcript, valid while its stamp holds.
        """
        CREATE TABLE transcript_summaries (
            path TEXT PRIMARY KEY NOT NULL,
            folder TEXT NOT NULL,
            format INTEGER NOT NULL,
            file_size INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL,
            sidecar TEXT NOT NULL,
            session_id TEXT NOT NULL,
            custom_title TEXT,
            summary TEXT,
            first_prompt TEXT,
            git_branch TEXT,
            working_directory TEXT,
            tag TEXT,
            created_at TEXT,
            archived INTEGER,
            is_programmatic INTEGER NOT NULL,
            starts_as_sidechain INTEGER NOT NULL,
            summary_line TEXT,
            not_resumable_reason INTEGER
        );
        CREATE INDEX transcript_summaries_by_folder ON transcript_summaries (folder);
        """,

        // 3: the title of a transcript the SDK does not list (SummaryIndex.Format 2).
        "ALTER TABLE transcript_summaries ADD COLUMN fallback_title TEXT;",

        // 4: with a PostgreSQL store, this machine's side of the mirror (TranscriptMirror): the sessions whose local turns
        // the database has not yet got, and the store version each local transcript was last made equal to.
        """
        CREATE TABLE pending_mirrors (
            session_id TEXT PRIMARY KEY NOT NULL,
            transcript_path TEXT NOT NULL,
            since_ms INTEGER NOT NULL
        );
        CREATE TABLE mirrored_transcripts (
            session_id TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            file_size INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL
        );
        """,

        // 5: the mirror's rows are the local transcript's, by its path: two servers with their own config folders share
        // one local store (its default folder), and a session's copy in one folder is not its copy in the other. The
        // version-4 rows of mirrored_transcripts cannot say whose they were and go: without one, a turn compares its
        // copy with the store's first.
        """
        CREATE TABLE pending_mirrors_by_path (
            transcript_path TEXT PRIMARY KEY NOT NULL,
            session_id TEXT NOT NULL,
            since_ms INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO pending_mirrors_by_path (transcript_path, session_id, since_ms) SELECT transcript_path, session_id, since_ms FROM pending_mirrors;
        DROP TABLE pending_mirrors;
        ALTER TABLE pending_mirrors_by_path RENAME TO pending_mirrors;
        DROP TABLE mirrored_transcripts;
        CREATE TABLE mirrored_transcripts (
            transcript_path TEXT PRIMARY KEY NOT NULL,
            session_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            file_size INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL
        );
        """,

        // 6: secrets every server process on the store shares (ISessionRecords.Secret), such as the listing cursors' key.
        """
        CREATE TABLE secrets (
            name TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL
        );
        """,

        // 7: what each session used: the summary index's token counts (SummaryIndex.Format 3), and the CLI's own cost of
        // the sessions this server ran turns of (its running total_cost_usd, as of the last such turn).
        """
        ALTER TABLE transcript_summaries ADD COLUMN input_tokens INTEGER;
        ALTER TABLE transcript_summaries ADD COLUMN output_tokens INTEGER;
        ALTER TABLE transcript_summaries ADD COLUMN cache_creation_input_tokens INTEGER;
        ALTER TABLE transcript_summaries ADD COLUMN cache_read_input_tokens INTEGER;
        CREATE TABLE session_costs (
            session_id TEXT PRIMARY KEY NOT NULL,
            cost_usd REAL NOT NULL
        );
        """,

        // 8: first prompts kept as listings show them (FirstPrompt.Shorten): a whole pasted prompt in every row made a
        // listing of 2,000 sessions read 32 MB of overflow pages (the conversation itself is the transcript's).
        $"UPDATE sessions SET first_prompt = substr(first_prompt, 1, {Transcripts.FirstPrompt.MaxLength + 1}) WHERE length(first_prompt) > {Transcripts.FirstPrompt.MaxLength + 1};",
    ];

    private readonly string connectionString;

    private SessionStore(string directory)
    {
        Directory = directory;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, FileName);

    /// <summary>The per-user default: <c>$XDG_DATA_HOME/claude-session-sidecar</c> (<c>~/.local/share/…</c>).</summary>
    public static string DefaultDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "claude-session-sidecar");

    /// <summary>Opens (creating and migrating as needed) the store in a folder readable by its owner alone.</summary>
    public static SessionStore Open(string directory) => Open(directory, SchemaVersion);

    /// <summary>
    /// A store that keeps listings between changes (<see cref="Kept"/>): the server's own, open for its life.
    /// It holds one more connection to the file, so the short-lived stores of scripts and tests do without.
    /// </summary>
    public static SessionStore OpenKeepingListings(string directory)
    {
        var store = Open(directory);
        store.keepsListings = true;
        return store;
    }

    private bool keepsListings;

    /// <param name="schemaVersion">The version to migrate to: a test's store of an older schema.</param>
    internal static SessionStore Open(string directory, int schemaVersion)
    {
        var full = Path.GetFullPath(directory);
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(full);
        }
        else
        {
            System.IO.Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            CreateOwnerOnlyFile(Path.Combine(full, FileName));
        }

        var store = new SessionStore(full);
        store.Migrate(schemaVersion);
        return store;
    }

    public void Insert(SessionRecord record)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sessions (session_id, user_id, working_directory, real_working_directory, created_at_ms, last_active_at_ms, title, first_prompt)
            VALUES ($id, $user, $cwd, $realCwd, $created, $active, $title, $prompt)
            ON CONFLICT (session_id) DO NOTHING
            """;
        command.Parameters.AddWithValue("$id", record.SessionId);
        command.Parameters.AddWithValue("$user", record.UserId);
        command.Parameters.AddWithValue("$cwd", record.WorkingDirectory);
        command.Parameters.AddWithValue("$realCwd", record.RealWorkingDirectory);
        command.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$active", record.LastActiveAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$title", record.Title);
        command.Parameters.AddWithValue("$prompt", record.FirstPrompt);
        command.ExecuteNonQuery();
    }

    public SessionRecord? Get(string sessionId)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RecordColumns} FROM sessions WHERE session_id = $id";
        command.Parameters.AddWithValue("$id", sessionId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    /// <inheritdoc/>
    public void TurnEnded(string sessionId, DateTimeOffset at, double? costUsd)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.CommandText = costUsd is null ? TouchSql : TouchSql + "; " + SetCostSql;
        command.Parameters.AddWithValue("$id", sessionId);
        command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        if (costUsd is { } cost)
        {
            command.Parameters.AddWithValue("$cost", cost);
        }

        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private const string TouchSql = "UPDATE sessions SET last_active_at_ms = max(last_active_at_ms, $at) WHERE session_id = $id";

    private const string SetCostSql = "INSERT INTO session_costs (session_id, cost_usd) VALUES ($id, $cost) ON CONFLICT (session_id) DO UPDATE SET cost_usd = excluded.cost_usd";

    public void SetTitle(string sessionId, string title) => Execute("UPDATE sessions SET title = $title WHERE session_id = $id", ("$id", sessionId), ("$title", title));

    public void Delete(string sessionId)
    {
        Execute("DELETE FROM sessions WHERE session_id = $id", ("$id", sessionId));
        Execute("DELETE FROM session_costs WHERE session_id = $id", ("$id", sessionId));
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Costs(IReadOnlyCollection<string> sessionIds)
    {
        var costs = new Dictionary<string, double>(StringComparer.Ordinal);
        if (sessionIds.Count == 0)
        {
            return costs;
        }

        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT session_id, cost_usd FROM session_costs WHERE session_id IN (SELECT value FROM json_each($ids))";
        command.Parameters.AddWithValue("$ids", new Newtonsoft.Json.Linq.JArray(sessionIds).ToString(Newtonsoft.Json.Formatting.None));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            costs[reader.GetString(0)] = reader.GetDouble(1);
        }

        return costs;
    }

    /// <inheritdoc/>
    /// <remarks>Kept while the store is unchanged, when it keeps listings (see <see cref="Kept"/>).</remarks>
    public IReadOnlyList<SessionRecord> List(string userId, string? realWorkingDirectory) =>
        Kept<IReadOnlyList<SessionRecord>>(("list", userId, realWorkingDirectory), () => ReadList(userId, realWorkingDirectory));

    private List<SessionRecord> ReadList(string userId, string? realWorkingDirectory)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = realWorkingDirectory is null
            ? $"SELECT {RecordColumns} FROM sessions WHERE user_id = $user ORDER BY last_active_at_ms DESC, session_id DESC"
            : $"SELECT {RecordColumns} FROM sessions WHERE user_id = $user AND real_working_directory = $realCwd ORDER BY last_active_at_ms DESC, session_id DESC";
        command.Parameters.AddWithValue("$user", userId);
        if (realWorkingDirectory is not null)
        {
            command.Parameters.AddWithValue("$realCwd", realWorkingDirectory);
        }

        using var reader = command.ExecuteReader();
        var records = new List<SessionRecord>();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    /// <summary>The ids of every session in the store, whoever its user: what "external" is measured against.</summary>
    /// <remarks>Kept while the store is unchanged, when it keeps listings (see <see cref="Kept"/>).</remarks>
    public IReadOnlySet<string> AllSessionIds() => Kept<IReadOnlySet<string>>(("ids", null, null), ReadAllSessionIds);

    /// <summary>
    /// What <paramref name="read"/> gives, kept as of the store's <see cref="DataVersion"/> (taken before the read): a
    /// repeat listing of 2,000 sessions then costs one pragma instead of reading their rows again (15 ms here). Any
    /// commit since, by this process or another, changes the version, and everything kept is read again. A store that
    /// does not keep listings reads every time.
    /// </summary>
    private T Kept<T>((string What, string? UserId, string? RealWorkingDirectory) key, Func<T> read)
        where T : class
    {
        if (!keepsListings)
        {
            return read();
        }

        var version = DataVersion();
        lock (cacheGate)
        {
            if (version == cachedVersion && kept.TryGetValue(key, out var value))
            {
                return (T)value;
            }
        }

        var fresh = read();
        lock (cacheGate)
        {
            if (version != cachedVersion)
            {
                kept.Clear();
                cachedVersion = version;
            }

            kept[key] = fresh;
        }

        return fresh;
    }

    /// <summary>
    /// SQLite's <c>PRAGMA data_version</c> on a connection of its own that never writes: it changes whenever any other
    /// connection (this process's pooled ones included, and every other process's) has committed since it was last asked.
    /// </summary>
    private long DataVersion()
    {
        lock (versionGate)
        {
            if (versionConnection is null)
            {
                versionConnection = new SqliteConnection(connectionString);
                versionConnection.Open();
            }

            using var command = versionConnection.CreateCommand();
            command.CommandText = "PRAGMA data_version";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private readonly object versionGate = new();
    private SqliteConnection? versionConnection;
    private readonly object cacheGate = new();
    private long cachedVersion = -1;
    private readonly Dictionary<(string What, string? UserId, string? RealWorkingDirectory), object> kept = [];

    private HashSet<string> ReadAllSessionIds()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT session_id FROM sessions";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <inheritdoc/>
    public byte[] Secret(string name)
    {
        using var connection = OpenConnection();
        using (var create = connection.CreateCommand())
        {
            // The first process to ask makes it; the others keep the one stored.
            create.CommandText = "INSERT INTO secrets (name, value) VALUES ($name, $value) ON CONFLICT (name) DO NOTHING";
            create.Parameters.AddWithValue("$name", name);
            create.Parameters.AddWithValue("$value", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            create.ExecuteNonQuery();
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT value FROM secrets WHERE name = $name";
        read.Parameters.AddWithValue("$name", name);
        return (byte[])read.ExecuteScalar()!;
    }

    /// <summary>The index's rows for one project folder, in the index's own format only.</summary>
    public List<IndexedTranscript> LoadSummaries(string folder, int format)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM transcript_summaries WHERE folder = $folder AND format = $format";
        command.Parameters.AddWithValue("$folder", folder);
        command.Parameters.AddWithValue("$format", format);
        using var reader = command.ExecuteReader();
        var rows = new List<IndexedTranscript>();
        int Ordinal(string name) => reader.GetOrdinal(name);
        string? Text(string name) => reader.IsDBNull(Ordinal(name)) ? null : reader.GetString(Ordinal(name));
        long Count(string name) => reader.IsDBNull(Ordinal(name)) ? 0 : reader.GetInt64(Ordinal(name));
        while (reader.Read())
        {
            var modified = new DateTime(reader.GetInt64(Ordinal("modified_ticks")), DateTimeKind.Utc);
            var size = reader.GetInt64(Ordinal("file_size"));
            var summary = new Transcripts.TranscriptSummary(
                reader.GetString(Ordinal("session_id")),
                size,
                new DateTimeOffset(modified),
                Text("custom_title"),
                Text("summary"),
                Text("first_prompt"),
                Text("git_branch"),
                Text("working_directory"),
                Text("tag"),
                Text("created_at") is { } created ? DateTimeOffset.Parse(created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind) : null,
                reader.IsDBNull(Ordinal("archived")) ? null : reader.GetInt64(Ordinal("archived")) != 0,
                reader.GetInt64(Ordinal("is_programmatic")) != 0,
                reader.GetInt64(Ordinal("starts_as_sidechain")) != 0)
            {
                SummaryLine = Text("summary_line"),
                FallbackTitle = Text("fallback_title"),
                Usage = new Transcripts.TokenUsage(Count("input_tokens"), Count("output_tokens"), Count("cache_creation_input_tokens"), Count("cache_read_input_tokens")),
            };
            var reason = reader.IsDBNull(Ordinal("not_resumable_reason")) ? (Resumability.NotResumableReason?)null : (Resumability.NotResumableReason)reader.GetInt32(Ordinal("not_resumable_reason"));
            rows.Add(new IndexedTranscript(reader.GetString(Ordinal("path")), new TranscriptStamp(size, modified.Ticks, reader.GetString(Ordinal("sidecar"))), summary, reason));
        }

        return rows;
    }

    /// <summary>Writes index rows (replacing older ones of the same paths) and removes the rows of transcripts gone, in one transaction.</summary>
    public void SaveSummaries(string folder, int format, IReadOnlyCollection<IndexedTranscript> changed, IReadOnlyCollection<string> removed)
    {
        if (changed.Count == 0 && removed.Count == 0)
        {
            return;
        }

        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        using (var delete = connection.CreateCommand())
        {
            delete.CommandText = "DELETE FROM transcript_summaries WHERE path = $path";
            var path = delete.Parameters.Add("$path", SqliteType.Text);
            foreach (var gone in removed)
            {
                path.Value = gone;
                delete.ExecuteNonQuery();
            }
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT OR REPLACE INTO transcript_summaries (path, folder, format, file_size, modified_ticks, sidecar, session_id, custom_title, summary,
                first_prompt, git_branch, working_directory, tag, created_at, archived, is_programmatic, starts_as_sidechain, summary_line, not_resumable_reason, fallback_title,
                input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens)
            VALUES ($path, $folder, $format, $size, $modified, $sidecar, $id, $customTitle, $summary,
                $firstPrompt, $gitBranch, $cwd, $tag, $createdAt, $archived, $programmatic, $sidechain, $summaryLine, $reason, $fallbackTitle,
                $inputTokens, $outputTokens, $cacheCreationTokens, $cacheReadTokens)
            """;
        var names = new[] { "$path", "$folder", "$format", "$size", "$modified", "$sidecar", "$id", "$customTitle", "$summary", "$firstPrompt", "$gitBranch", "$cwd", "$tag", "$createdAt", "$archived", "$programmatic", "$sidechain", "$summaryLine", "$reason", "$fallbackTitle", "$inputTokens", "$outputTokens", "$cacheCreationTokens", "$cacheReadTokens" };
        var parameters = names.Select(name => insert.Parameters.Add(name, SqliteType.Text)).ToArray();
        insert.Prepare();
        foreach (var row in changed)
        {
            var s = row.Summary;
            object?[] values =
            [
                row.Path, folder, format, row.Stamp.Size, row.Stamp.ModifiedTicks, row.Stamp.Sidecar, s.SessionId, s.CustomTitle, s.Summary,
                s.FirstPrompt, s.GitBranch, s.WorkingDirectory, s.Tag, s.CreatedAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                s.Archived is { } archived ? (archived ? 1 : 0) : null, s.IsProgrammatic ? 1 : 0, s.StartsAsSidechain ? 1 : 0, s.SummaryLine,
                row.NotResumableReason is { } reason ? (int)reason : null, s.FallbackTitle,
                s.Usage.InputTokens, s.Usage.OutputTokens, s.Usage.CacheCreationInputTokens, s.Usage.CacheReadInputTokens,
            ];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].SqliteType = values[i] is int or long ? SqliteType.Integer : SqliteType.Text;
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Remembers that a session's local transcript may hold lines the shared store lacks (a turn is running, or its mirror failed).</summary>
    /// <param name="transcriptPath">The local transcript, a full path: the key (each config folder has its own copy of a session).</param>
    public void MarkPendingMirror(string sessionId, string transcriptPath, DateTimeOffset since) =>
        Execute("INSERT INTO pending_mirrors (transcript_path, session_id, since_ms) VALUES ($path, $id, $since) ON CONFLICT (transcript_path) DO NOTHING",
            ("$id", sessionId), ("$path", transcriptPath), ("$since", since.ToUnixTimeMilliseconds()));

    public void ClearPendingMirror(string transcriptPath) => Execute("DELETE FROM pending_mirrors WHERE transcript_path = $path", ("$path", transcriptPath));

    /// <summary>Every pending local transcript, of every config folder that uses this store, oldest first.</summary>
    public List<(string SessionId, string TranscriptPath)> PendingMirrors()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT session_id, transcript_path FROM pending_mirrors ORDER BY since_ms";
        using var reader = command.ExecuteReader();
        var pending = new List<(string, string)>();
        while (reader.Read())
        {
            pending.Add((reader.GetString(0), reader.GetString(1)));
        }

        return pending;
    }

    public bool IsPendingMirror(string transcriptPath)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM pending_mirrors WHERE transcript_path = $path";
        command.Parameters.AddWithValue("$path", transcriptPath);
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Records that the local transcript (as stamped) equals the shared store's copy at <paramref name="version"/>.</summary>
    public void SaveMirrored(string transcriptPath, string sessionId, long version, long fileSize, long modifiedTicks) =>
        Execute("INSERT OR REPLACE INTO mirrored_transcripts (transcript_path, session_id, version, file_size, modified_ticks) VALUES ($path, $id, $version, $size, $modified)",
            ("$path", transcriptPath), ("$id", sessionId), ("$version", version), ("$size", fileSize), ("$modified", modifiedTicks));

    /// <summary>Every row <see cref="SaveMirrored"/> wrote, by local transcript.</summary>
    public Dictionary<string, (long Version, long FileSize, long ModifiedTicks)> AllMirrored()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT transcript_path, version, file_size, modified_ticks FROM mirrored_transcripts";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, (long, long, long)>(StringComparer.Ordinal);
        while (reader.Read())
        {
            rows[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }

        return rows;
    }

    public (long Version, long FileSize, long ModifiedTicks)? GetMirrored(string transcriptPath)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, file_size, modified_ticks FROM mirrored_transcripts WHERE transcript_path = $path";
        command.Parameters.AddWithValue("$path", transcriptPath);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    internal int ReadSchemaVersion()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private void Migrate(int target)
    {
        using var connection = OpenConnection();
        using (var wal = connection.CreateCommand())
        {
            // Persistent for the file: readers never block the writer, and several processes share it.
            wal.CommandText = "PRAGMA journal_mode = WAL";
            wal.ExecuteNonQuery();
        }

        // Immediate: two processes opening a new store at once migrate it one after the other, not both.
        using var transaction = connection.BeginTransaction(deferred: false);
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"The store at {DatabasePath} has schema version {version}, newer than this server's {SchemaVersion}; upgrade the server.");
        }

        for (; version < target; version++)
        {
            using var migrate = connection.CreateCommand();
            migrate.CommandText = Migrations[version] + $"; PRAGMA user_version = {version + 1};";
            migrate.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>A record's columns in the order <see cref="ReadRecord"/> reads them: by position, as a name lookup per field and row cost more than the row (8 µs a row in a listing of 2,000).</summary>
    private const string RecordColumns = "session_id, user_id, working_directory, real_working_directory, created_at_ms, last_active_at_ms, title, first_prompt";

    private static SessionRecord ReadRecord(SqliteDataReader reader) => new(
        SessionId: reader.GetString(0),
        UserId: reader.GetString(1),
        WorkingDirectory: reader.GetString(2),
        RealWorkingDirectory: reader.GetString(3),
        CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        LastActiveAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        Title: reader.GetString(6),
        FirstPrompt: reader.GetString(7));

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static void CreateOwnerOnlyFile(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first.
        }
    }
}
