using Microsoft.Data.Sqlite;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// Session metadata in SQLite (WAL mode), shared safely by several server processes: every write is one
/// statement or one immediate transaction, and a busy database is waited for rather than failed.
/// </summary>
public sealed class SessionStore
{
    public const string FileName = "sessions.db";

    /// <summary>The schema this build writes; older stores are migrated forward on open.</summary>
    public const int SchemaVersion = 1;

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
    public static SessionStore Open(string directory)
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
        store.Migrate();
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
        command.CommandText = "SELECT * FROM sessions WHERE session_id = $id";
        command.Parameters.AddWithValue("$id", sessionId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    /// <summary>Marks a session active now (never moving its time backwards).</summary>
    public void Touch(string sessionId, DateTimeOffset at) =>
        Execute("UPDATE sessions SET last_active_at_ms = max(last_active_at_ms, $at) WHERE session_id = $id", ("$id", sessionId), ("$at", at.ToUnixTimeMilliseconds()));

    public void SetTitle(string sessionId, string title) => Execute("UPDATE sessions SET title = $title WHERE session_id = $id", ("$id", sessionId), ("$title", title));

    public void Delete(string sessionId) => Execute("DELETE FROM sessions WHERE session_id = $id", ("$id", sessionId));

    /// <summary>A user's sessions, newest activity first, optionally only those of one working directory (by real path).</summary>
    public IReadOnlyList<SessionRecord> List(string userId, string? realWorkingDirectory)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = realWorkingDirectory is null
            ? "SELECT * FROM sessions WHERE user_id = $user ORDER BY last_active_at_ms DESC, session_id"
            : "SELECT * FROM sessions WHERE user_id = $user AND real_working_directory = $realCwd ORDER BY last_active_at_ms DESC, session_id";
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
    public HashSet<string> AllSessionIds()
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

    private void Migrate()
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

        for (; version < SchemaVersion; version++)
        {
            using var migrate = connection.CreateCommand();
            migrate.CommandText = Migrations[version] + $"; PRAGMA user_version = {version + 1};";
            migrate.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static SessionRecord ReadRecord(SqliteDataReader reader) => new(
        SessionId: reader.GetString(reader.GetOrdinal("session_id")),
        UserId: reader.GetString(reader.GetOrdinal("user_id")),
        WorkingDirectory: reader.GetString(reader.GetOrdinal("working_directory")),
        RealWorkingDirectory: reader.GetString(reader.GetOrdinal("real_working_directory")),
        CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("created_at_ms"))),
        LastActiveAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("last_active_at_ms"))),
        Title: reader.GetString(reader.GetOrdinal("title")),
        FirstPrompt: reader.GetString(reader.GetOrdinal("first_prompt")));

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CreateOwnerOnlyFile(string path)
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
