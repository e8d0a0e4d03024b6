using System.Net.Sockets;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Transcripts;
using Npgsql;
using NpgsqlTypes;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// Sessions in PostgreSQL, shared by every server on the database: their metadata, a listing index judged from each
/// transcript, and the transcripts' lines (keyed like the Agent SDK's <c>SessionKey</c>), with one turn at a time per
/// session held by an advisory lock. docs/postgres-store.md is the schema's contract.
/// </summary>
public sealed class PostgresStore : ISessionRecords, IDisposable
{
    /// <summary>The schema this build writes; older databases are migrated forward, newer ones refused.</summary>
    public const int SchemaVersion = 4;

    private static readonly string[] Migrations =
    [
        // 1: the first schema (docs/postgres-store.md).
        """
        CREATE TABLE sidecar_sessions (
            session_id text PRIMARY KEY,
            user_id text NOT NULL,
            project_key text NOT NULL,
            working_directory text NOT NULL,
            real_working_directory text NOT NULL,
            created_at_ms bigint NOT NULL,
            last_active_at_ms bigint NOT NULL,
            title text NOT NULL,
            first_prompt text NOT NULL,
            transcript_version bigint NOT NULL DEFAULT 0,
            judged_version bigint,
            not_resumable_reason integer,
            transcript_bytes bigint,
            transcript_modified_ms bigint,
            custom_title text,
            tag text,
            archived boolean,
            git_branch text,
            summary_first_prompt text,
            is_programmatic boolean
        );
        CREATE INDEX sidecar_sessions_by_user_activity ON sidecar_sessions (user_id, last_active_at_ms DESC);
        CREATE TABLE sidecar_transcript_entries (
            project_key text NOT NULL,
            session_id text NOT NULL,
            subpath text NOT NULL DEFAULT '',
            seq bigint NOT NULL,
            uuid text,
            entry json NOT NULL,
            stored_at_ms bigint NOT NULL,
            PRIMARY KEY (project_key, session_id, subpath, seq)
        );
        CREATE INDEX sidecar_transcript_entries_by_uuid
            ON sidecar_transcript_entries (project_key, session_id, subpath, uuid) WHERE uuid IS NOT NULL;
        """,

        // 2: secrets every server on the database shares (ISessionRecords.Secret), such as the listing cursors' key.
        """
        CREATE TABLE sidecar_secrets (
            name text PRIMARY KEY,
            value bytea NOT NULL
        );
        """,

        // 3: what each session used: its transcript's token counts in the listing index, and the CLI's own cost of the
        // sessions a server ran turns of (its running total_cost_usd, as of the last such turn).
        """
        ALTER TABLE sidecar_sessions ADD COLUMN input_tokens bigint, ADD COLUMN output_tokens bigint,
            ADD COLUMN cache_creation_input_tokens bigint, ADD COLUMN cache_read_input_tokens bigint;
        CREATE TABLE sidecar_session_costs (
            session_id text PRIMARY KEY,
            cost_usd double precision NOT NULL
        );
        """,

        // 4: the search index of the store's copies of the transcripts (PostgresSearchIndex).
        PostgresSearchIndex.Schema,
    ];

    private const string LockKey = "hashtextextended('claude-session-sidecar:' || @id, 0)";

    private readonly NpgsqlDataSource dataSource;
    private readonly Lock migrating = new();
    private int targetVersion = SchemaVersion;
    private bool ready;

    private PostgresStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            // A database that is down says so in seconds, not after Npgsql's 15 s default.
            builder.Timeout = 5;
        }

        if (!connectionString.Contains("reset", StringComparison.OrdinalIgnoreCase))
        {
            // No DISCARD ALL each time a pooled connection is taken (a dozen a turn): the one session state this
            // store leaves, an advisory lock, is released explicitly (or the connection is broken and dropped).
            builder.NoResetOnClose = true;
        }

        Description = $"{builder.Host}:{builder.Port}/{builder.Database}";
        dataSource = new NpgsqlSlimDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>host:port/database, for messages (never the password).</summary>
    public string Description { get; }

    /// <summary>Whether <paramref name="store"/> names PostgreSQL: a <c>postgres://</c> URL or a connection string.</summary>
    public static bool IsPostgres(string store) =>
        store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || store.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Connects to the database named by a URL or connection string, and migrates its schema; a database that is down is tried again on each use.</summary>
    /// <exception cref="ArgumentException">Not a usable URL or connection string.</exception>
    /// <exception cref="StoreSchemaException">The database's schema is newer than this server's.</exception>
    public static PostgresStore Open(string store) => Open(store, SchemaVersion);

    /// <param name="schemaVersion">The version to migrate to: a test's database of an older schema.</param>
    internal static PostgresStore Open(string store, int schemaVersion)
    {
        var postgres = new PostgresStore(ToConnectionString(store)) { targetVersion = schemaVersion };
        try
        {
            postgres.EnsureReady();
        }
        catch (StoreUnavailableException)
        {
            // Served anyway: every request needing the database says it is unavailable until it is back.
        }

        return postgres;
    }

    /// <summary>A <c>postgres://user:password@host:port/database?option=value</c> URL as an Npgsql connection string; a connection string as it is.</summary>
    internal static string ToConnectionString(string store)
    {
        if (!store.Contains("://", StringComparison.Ordinal))
        {
            return new NpgsqlConnectionStringBuilder(store).ConnectionString;
        }

        if (!Uri.TryCreate(store, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || uri.Host.Length == 0)
        {
            throw new ArgumentException("--store must be a folder, a postgres://user@host:port/database URL, or an Npgsql connection string.");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (n, v) : (pair, string.Empty);
            builder[Uri.UnescapeDataString(name).Replace('_', ' ')] = Uri.UnescapeDataString(value);
        }

        return builder.ConnectionString;
    }

    /// <summary>Migrates the schema the first time the database answers.</summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    /// <exception cref="StoreSchemaException">Its schema is newer than this server's.</exception>
    public void EnsureReady()
    {
        if (Volatile.Read(ref ready))
        {
            return;
        }

        lock (migrating)
        {
            if (ready)
            {
                return;
            }

            Run(connection =>
            {
                using var transaction = connection.BeginTransaction();

                // Two servers starting on a new database migrate it one after the other.
                Execute(connection, "SELECT pg_advisory_xact_lock(hashtextextended('claude-session-sidecar:schema', 0))");
                Execute(connection, "CREATE TABLE IF NOT EXISTS sidecar_schema (version integer NOT NULL)");
                using var read = new NpgsqlCommand("SELECT version FROM sidecar_schema", connection);
                var version = read.ExecuteScalar() is int found ? found : 0;
                if (version > SchemaVersion)
                {
                    throw new StoreSchemaException($"The PostgreSQL store {Description} has schema version {version}, newer than this server's {SchemaVersion}; upgrade the server.");
                }

                for (var next = version; next < targetVersion; next++)
                {
                    Execute(connection, Migrations[next]);
                }

                if (version < targetVersion)
                {
                    Execute(connection, version == 0 ? $"INSERT INTO sidecar_schema VALUES ({targetVersion})" : $"UPDATE sidecar_schema SET version = {targetVersion}");
                }

                transaction.Commit();
                return 0;
            }, migrate: false);
            ready = true;
        }
    }

    public void Insert(SessionRecord record) => Run(connection => Execute(connection, """
        INSERT INTO sidecar_sessions (session_id, user_id, project_key, working_directory, real_working_directory, created_at_ms, last_active_at_ms, title, first_prompt)
        VALUES (@id, @user, @project, @cwd, @realCwd, @created, @active, @title, @prompt)
        ON CONFLICT (session_id) DO NOTHING
        """,
        ("id", record.SessionId), ("user", record.UserId), ("project", Transcripts.ProjectDirectoryName.Encode(record.RealWorkingDirectory)),
        ("cwd", record.WorkingDirectory), ("realCwd", record.RealWorkingDirectory), ("created", record.CreatedAt.ToUnixTimeMilliseconds()),
        ("active", record.LastActiveAt.ToUnixTimeMilliseconds()), ("title", record.Title), ("prompt", record.FirstPrompt)));

    public SessionRecord? Get(string sessionId) => Run(connection =>
    {
        using var command = Command(connection, "SELECT * FROM sidecar_sessions WHERE session_id = @id", ("id", sessionId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    });

    /// <inheritdoc/>
    /// <remarks>Both statements go as one command: one round trip, one implicit transaction.</remarks>
    public void TurnEnded(string sessionId, DateTimeOffset at, double? costUsd) => Run(connection =>
    {
        if (costUsd is { } cost)
        {
            Execute(connection, TouchSql + "; " + SetCostSql, ("id", sessionId), ("at", at.ToUnixTimeMilliseconds()), ("cost", cost));
        }
        else
        {
            Execute(connection, TouchSql, ("id", sessionId), ("at", at.ToUnixTimeMilliseconds()));
        }
    });

    private const string TouchSql = "UPDATE sidecar_sessions SET last_active_at_ms = greatest(last_active_at_ms, @at) WHERE session_id = @id";

    private const string SetCostSql = "INSERT INTO sidecar_session_costs (session_id, cost_usd) VALUES (@id, @cost) ON CONFLICT (session_id) DO UPDATE SET cost_usd = excluded.cost_usd";

    public void SetTitle(string sessionId, string title) =>
        Run(connection => Execute(connection, "UPDATE sidecar_sessions SET title = @title WHERE session_id = @id", ("id", sessionId), ("title", title)));

    /// <summary>Removes the session and every line of its transcripts.</summary>
    public void Delete(string sessionId) => Run(connection =>
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, "DELETE FROM sidecar_transcript_entries WHERE session_id = @id", ("id", sessionId));
        Execute(connection, "DELETE FROM sidecar_sessions WHERE session_id = @id", ("id", sessionId));
        Execute(connection, "DELETE FROM sidecar_session_costs WHERE session_id = @id", ("id", sessionId));
        transaction.Commit();
        return 0;
    });

    public IReadOnlyList<SessionRecord> List(string userId, string? realWorkingDirectory) => Run(connection =>
    {
        using var command = realWorkingDirectory is null
            ? Command(connection, "SELECT * FROM sidecar_sessions WHERE user_id = @user ORDER BY last_active_at_ms DESC, session_id COLLATE \"C\" DESC", ("user", userId))
            : Command(connection, "SELECT * FROM sidecar_sessions WHERE user_id = @user AND real_working_directory = @realCwd ORDER BY last_active_at_ms DESC, session_id COLLATE \"C\" DESC", ("user", userId), ("realCwd", realWorkingDirectory));
        using var reader = command.ExecuteReader();
        var records = new List<SessionRecord>();
        while (reader.Read())
        {
            // Another writer of the database may have stored anything: an id that is not a session id never names a path here.
            var record = ReadRecord(reader);
            if (Identifiers.SessionId.Normalize(record.SessionId) == record.SessionId)
            {
                records.Add(record);
            }
        }

        return (IReadOnlyList<SessionRecord>)records;
    });

    /// <inheritdoc/>
    public byte[] Secret(string name) => Run(connection =>
    {
        // The first server to ask makes it; the others keep the one stored.
        Execute(connection, "INSERT INTO sidecar_secrets (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
            ("name", name), ("value", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        using var read = Command(connection, "SELECT value FROM sidecar_secrets WHERE name = @name", ("name", name));
        return (byte[])read.ExecuteScalar()!;
    });

    public IReadOnlySet<string> AllSessionIds() => Run<IReadOnlySet<string>>(connection =>
    {
        using var command = Command(connection, "SELECT session_id FROM sidecar_sessions");
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    });

    /// <summary>Takes the session's advisory lock on a connection held until the returned lock is disposed.</summary>
    /// <returns>Null when another connection (another server, or another turn here) holds it.</returns>
    public IDisposable? TryLock(string sessionId) => Run(connection =>
    {
        using var command = Command(connection, $"SELECT pg_try_advisory_lock({LockKey})", ("id", sessionId));
        return command.ExecuteScalar() is true ? new SessionLock(connection, sessionId) : null;
    }, keepConnection: true);

    /// <summary>The session's transcript lines under one subpath, in file order; empty when it has none.</summary>
    public List<string> Load(string projectKey, string sessionId, string subpath) => Run(connection =>
    {
        using var command = Command(connection, "SELECT entry::text FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id AND subpath = @subpath ORDER BY seq",
            ("project", projectKey), ("id", sessionId), ("subpath", subpath));
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    });

    /// <summary>The session's subpaths that hold lines, the main transcript's ("") included.</summary>
    public List<string> Subpaths(string projectKey, string sessionId) => Run(connection =>
    {
        using var command = Command(connection, "SELECT DISTINCT subpath FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id ORDER BY subpath",
            ("project", projectKey), ("id", sessionId));
        using var reader = command.ExecuteReader();
        var subpaths = new List<string>();
        while (reader.Read())
        {
            subpaths.Add(reader.GetString(0));
        }

        return subpaths;
    });

    /// <summary>Writes lines of one file after the last one stored (or in place of all, with <see cref="MirrorWrite.Replace"/>), and bumps the session's version.</summary>
    /// <returns>The session's version after the write; null when nothing was written, or the session has no row (lines of a session no server created).</returns>
    public long? Write(string projectKey, string sessionId, string subpath, IReadOnlyList<MirrorEntry> entries, MirrorWrite mode)
    {
        var replace = mode == MirrorWrite.Replace;
        if (entries.Count == 0 && !replace)
        {
            return null;
        }

        return Run(connection =>
        {
            using var transaction = connection.BeginTransaction();
            var key = new (string, object)[] { ("project", projectKey), ("id", sessionId), ("subpath", subpath) };
            if (replace)
            {
                Execute(connection, "DELETE FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id AND subpath = @subpath", key);
            }

            using var insert = Command(connection, """
                INSERT INTO sidecar_transcript_entries (project_key, session_id, subpath, seq, uuid, entry, stored_at_ms)
                SELECT @project, @id, @subpath,
                    coalesce((SELECT max(seq) FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id AND subpath = @subpath), 0) + 1,
                    @uuid, @entry, @now
                WHERE NOT (@skipDuplicates AND @uuid IS NOT NULL AND EXISTS (
                    SELECT 1 FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id AND subpath = @subpath AND uuid = @uuid))
                """, key);
            var uuid = insert.Parameters.Add(new NpgsqlParameter("uuid", NpgsqlDbType.Text));
            var entry = insert.Parameters.Add(new NpgsqlParameter("entry", NpgsqlDbType.Json));
            insert.Parameters.Add(new NpgsqlParameter("now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            insert.Parameters.Add(new NpgsqlParameter("skipDuplicates", mode == MirrorWrite.Append));
            foreach (var line in entries)
            {
                uuid.Value = (object?)line.Uuid ?? DBNull.Value;
                entry.Value = line.Json;
                insert.ExecuteNonQuery();
            }

            using var bump = Command(connection, "UPDATE sidecar_sessions SET transcript_version = transcript_version + 1 WHERE session_id = @id RETURNING transcript_version", key);
            var version = bump.ExecuteScalar() as long?;
            transaction.Commit();
            return version;
        });
    }

    /// <summary>How many lines one file has in the store, and its last one: enough to see that a local file only added lines.</summary>
    public (int Count, string? Last) Tail(string projectKey, string sessionId, string subpath) => Run(connection =>
    {
        using var command = Command(connection, """
            SELECT count(*)::int, (SELECT entry::text FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id AND subpath = @subpath ORDER BY seq DESC LIMIT 1)
            FROM sidecar_transcript_entries WHERE project_key = @project AND session_id = @id AND subpath = @subpath
            """, ("project", projectKey), ("id", sessionId), ("subpath", subpath));
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    });

    /// <summary>Saves the listing index of a session: its transcript at <paramref name="version"/>, as judged.</summary>
    public void SaveJudgement(string sessionId, SharedTranscript judged) => Run(connection => Execute(connection, """
        UPDATE sidecar_sessions SET judged_version = @version, not_resumable_reason = @reason, transcript_bytes = @bytes, transcript_modified_ms = @modified,
            custom_title = @customTitle, tag = @tag, archived = @archived, git_branch = @branch, summary_first_prompt = @firstPrompt, is_programmatic = @programmatic,
            input_tokens = @input, output_tokens = @output, cache_creation_input_tokens = @cacheCreation, cache_read_input_tokens = @cacheRead
        WHERE session_id = @id AND transcript_version = @version
        """,
        ("id", sessionId), ("version", judged.Version), ("reason", judged.Reason is { } reason ? (int)reason : DBNull.Value), ("bytes", (object?)judged.Bytes ?? DBNull.Value),
        ("modified", (object?)judged.Modified?.ToUnixTimeMilliseconds() ?? DBNull.Value), ("customTitle", (object?)judged.CustomTitle ?? DBNull.Value),
        ("tag", (object?)judged.Tag ?? DBNull.Value), ("archived", (object?)judged.Archived ?? DBNull.Value), ("branch", (object?)judged.GitBranch ?? DBNull.Value),
        ("firstPrompt", (object?)judged.FirstPrompt ?? DBNull.Value), ("programmatic", (object?)judged.IsProgrammatic ?? DBNull.Value),
        ("input", (object?)judged.Usage?.InputTokens ?? DBNull.Value), ("output", (object?)judged.Usage?.OutputTokens ?? DBNull.Value),
        ("cacheCreation", (object?)judged.Usage?.CacheCreationInputTokens ?? DBNull.Value), ("cacheRead", (object?)judged.Usage?.CacheReadInputTokens ?? DBNull.Value)));

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Costs(IReadOnlyCollection<string> sessionIds) => sessionIds.Count == 0
        ? new Dictionary<string, double>()
        : Run(connection =>
        {
            using var command = Command(connection, "SELECT session_id, cost_usd FROM sidecar_session_costs WHERE session_id IN (SELECT json_array_elements_text(@ids::json))",
                ("ids", new Newtonsoft.Json.Linq.JArray(sessionIds).ToString(Newtonsoft.Json.Formatting.None)));
            using var reader = command.ExecuteReader();
            var costs = new Dictionary<string, double>(StringComparer.Ordinal);
            while (reader.Read())
            {
                costs[reader.GetString(0)] = reader.GetDouble(1);
            }

            return costs;
        });

    public void Dispose() => dataSource.Dispose();

    /// <summary>Runs work of another part of the store (<see cref="PostgresSearchIndex"/>) on a pooled connection, as this store's own methods run.</summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    internal T Use<T>(Func<NpgsqlConnection, T> work) => Run(work);

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection, turning "cannot reach the database" into
    /// <see cref="StoreUnavailableException"/>. A failure on a connection the pool kept from before the database went
    /// away is tried once more on a new one (work that failed midway was rolled back).
    /// </summary>
    private T Run<T>(Func<NpgsqlConnection, T> work, bool migrate = true, bool keepConnection = false)
    {
        if (migrate)
        {
            EnsureReady();
        }

        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? connection = null;
            var keep = keepConnection;
            try
            {
                connection = dataSource.OpenConnection();
                return work(connection);
            }
            catch (Exception exception) when (IsUnavailable(exception))
            {
                keep = false;
                dataSource.Clear();
                if (attempt == 2)
                {
                    throw new StoreUnavailableException($"The PostgreSQL store {Description} is unavailable: {exception.Message}", exception);
                }
            }
            finally
            {
                if (!keep)
                {
                    connection?.Dispose();
                }
            }
        }
    }

    private void Run(Action<NpgsqlConnection> work) => Run(connection =>
    {
        work(connection);
        return 0;
    });

    /// <summary>Connection trouble (refused, dropped, server shutting down), as opposed to a failing statement.</summary>
    private static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException or SocketException or TimeoutException or IOException => true,
        InvalidOperationException when exception.InnerException is not null => IsUnavailable(exception.InnerException),
        _ => false,
    };

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return command;
    }

    private static int Execute(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SessionRecord ReadRecord(NpgsqlDataReader reader)
    {
        int Ordinal(string name) => reader.GetOrdinal(name);
        T? Optional<T>(string name) where T : struct => reader.IsDBNull(Ordinal(name)) ? null : reader.GetFieldValue<T>(Ordinal(name));
        string? Text(string name) => reader.IsDBNull(Ordinal(name)) ? null : reader.GetString(Ordinal(name));
        return new SessionRecord(
            reader.GetString(Ordinal("session_id")),
            reader.GetString(Ordinal("user_id")),
            reader.GetString(Ordinal("working_directory")),
            reader.GetString(Ordinal("real_working_directory")),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(Ordinal("created_at_ms"))),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(Ordinal("last_active_at_ms"))),
            reader.GetString(Ordinal("title")),
            reader.GetString(Ordinal("first_prompt")))
        {
            Shared = new SharedTranscript(
                reader.GetString(Ordinal("project_key")),
                reader.GetInt64(Ordinal("transcript_version")),
                Optional<long>("judged_version"),
                Optional<int>("not_resumable_reason") is { } reason ? (NotResumableReason)reason : null,
                Optional<long>("transcript_bytes"),
                Optional<long>("transcript_modified_ms") is { } modified ? DateTimeOffset.FromUnixTimeMilliseconds(modified) : null,
                Text("custom_title"),
                Text("tag"),
                Optional<bool>("archived"),
                Text("git_branch"),
                Text("summary_first_prompt"),
                Optional<bool>("is_programmatic"))
            {
                Usage = Optional<long>("input_tokens") is { } input
                    ? new TokenUsage(input, Optional<long>("output_tokens") ?? 0, Optional<long>("cache_creation_input_tokens") ?? 0, Optional<long>("cache_read_input_tokens") ?? 0)
                    : null,
            },
        };
    }

    /// <summary>A held advisory lock: released (and its connection returned) on dispose; dropped by PostgreSQL if this process dies.</summary>
    private sealed class SessionLock(NpgsqlConnection connection, string sessionId) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var command = Command(connection, $"SELECT pg_advisory_unlock({LockKey})", ("id", sessionId));
                command.ExecuteScalar();
            }
            catch (Exception exception) when (IsUnavailable(exception))
            {
                // The connection is gone, and the lock with it.
            }
            finally
            {
                connection.Dispose();
            }
        }
    }
}

/// <summary>How <see cref="PostgresStore.Write"/> adds lines.</summary>
public enum MirrorWrite
{
    /// <summary>After the last line, skipping a line whose uuid the file holds already (mirror frames can repeat).</summary>
    Append,

    /// <summary>After the last line, every one (a local file's missing tail).</summary>
    AppendAll,

    /// <summary>In place of every line of the file.</summary>
    Replace,
}

/// <summary>One transcript line for the shared store: its uuid (when it has one) and its JSON text.</summary>
public sealed record MirrorEntry(string? Uuid, string Json);

/// <summary>The shared store cannot be reached (down, unreachable, or the connection dropped).</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The store's schema is newer than this server understands.</summary>
public sealed class StoreSchemaException(string message) : Exception(message);
