using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Npgsql;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>
/// A throw-away PostgreSQL server on 127.0.0.1: a fresh cluster (initdb) in a temporary folder, started on a free
/// port, stopped and deleted on dispose. One per test class: <c>IClassFixture&lt;PostgresServer&gt;</c>, or
/// <c>using var server = new PostgresServer();</c>. Fails (never skips) when PostgreSQL is not installed.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly TestEnvironment folder = new();
    private readonly string binDirectory;
    private readonly string directory;
    private readonly bool asPostgresUser;
    private Process? watchdog;
    private bool disposed;

    public PostgresServer()
    {
        directory = folder.Create("postgres");
        // The cluster's binaries refuse to run as root, so as root they run as the postgres user, in a folder it owns.
        asPostgresUser = geteuid() == 0;
        try
        {
            binDirectory = FindBinDirectory();
            if (asPostgresUser)
            {
                MakeReachableByPostgresUser();
            }

            Run("initdb", "-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions");
            File.AppendAllText(Path.Combine(DataDirectory, "postgresql.conf"), $"""

                listen_addresses = '127.0.0.1'
                unix_socket_directories = '{directory}'
                fsync = off
                synchronous_commit = off
                full_page_writes = off
                shared_buffers = 16MB
                """);
            StartWatchdog();
            // The free port may be taken between choosing it and binding it; another port then does.
            for (var attempt = 1; ; attempt++)
            {
                Port = FreePort();
                try
                {
                    Start();
                    break;
                }
                catch (InvalidOperationException) when (attempt < 3 && LogTail().Contains("could not bind", StringComparison.Ordinal))
                {
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(directory, "data");

    public string LogFile => Path.Combine(directory, "postgres.log");

    /// <summary>The running postmaster's process id (from <c>postmaster.pid</c>), or null when it is stopped.</summary>
    public int? PostmasterPid
    {
        get
        {
            try
            {
                return int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>Creates a fresh database and returns a connection string for it.</summary>
    public string CreateDatabase()
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        using var connection = new NpgsqlConnection(Admin());
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database }.ConnectionString;

    public string Url(string database) => $"postgres://postgres@127.0.0.1:{Port}/{database}";

    /// <summary>Stops the server (fast shutdown: open sessions are ended), keeping its data.</summary>
    public Task StopAsync() => Task.Run(() => Run("pg_ctl", "stop", "-D", DataDirectory, "-m", "fast", "-w"));

    /// <summary>Starts the stopped server again, on the same port and data.</summary>
    public Task StartAsync() => Task.Run(Start);

    /// <summary>Ends every other session connected to the database, as a lost connection would.</summary>
    public async Task KillConnectionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(Admin());
        await connection.OpenAsync();
        // With a timeout, pg_terminate_backend waits until the backend is gone.
        await using var command = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()", connection);
        command.Parameters.AddWithValue("database", database);
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (PostmasterPid is { } pid)
        {
            try
            {
                Run("pg_ctl", "stop", "-D", DataDirectory, "-m", "immediate", "-w");
            }
            catch (InvalidOperationException)
            {
                KillProcessTree(pid);
            }
        }

        folder.Dispose();
        if (watchdog is not null)
        {
            KillProcessTree(watchdog.Id);
            watchdog.Dispose();
        }
    }

    private void Start()
    {
        try
        {
            Run("pg_ctl", "start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "30", "-o", $"-p {Port}");
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{e.Message}\nThe end of {LogFile}:\n{LogTail()}", e);
        }
    }

    private static string FindBinDirectory()
    {
        try
        {
            var fromPgConfig = RunProcess("pg_config", ["--bindir"], Environment.CurrentDirectory).Trim();
            if (File.Exists(Path.Combine(fromPgConfig, "initdb")))
            {
                return fromPgConfig;
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // No pg_config on the PATH (it comes with libpq-dev), or it failed.
        }

        var installed = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        return installed
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : -1)
            .FirstOrDefault()
            ?? throw new InvalidOperationException(
                "PostgreSQL is not installed: no initdb from `pg_config --bindir` nor in /usr/lib/postgresql/*/bin. " +
                "The PostgreSQL store's tests need a real server: `apt-get install postgresql` (Debian/Ubuntu).");
    }

    private void MakeReachableByPostgresUser()
    {
        // Directory.CreateTempSubdirectory makes the root 0700: let others through it, not list it.
        File.SetUnixFileMode(folder.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        for (var parent = Path.GetDirectoryName(folder.Root); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (!File.GetUnixFileMode(parent).HasFlag(UnixFileMode.OtherExecute))
            {
                throw new InvalidOperationException($"The postgres user cannot reach {folder.Root}: {parent} is not traversable by others (point TMPDIR elsewhere).");
            }
        }

        RunProcess("chown", ["postgres:", directory], directory);
    }

    /// <summary>
    /// Stops the server and deletes the folder when this test process dies without disposing (killed run): a
    /// shell in its own session (the postmaster has its own too, so killing the test's process group misses both).
    /// </summary>
    private void StartWatchdog()
    {
        const string Script = """
            while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done
            [ -d "$2" ] || exit 0
            pid=$(head -n 1 "$3/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null && sleep 1
            rm -rf "$2"
            """;
        var start = new ProcessStartInfo("setsid") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "sh", "-c", Script, "postgres-watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), folder.Root, DataDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        watchdog = Process.Start(start);
    }

    private string Run(string tool, params string[] arguments)
    {
        var path = Path.Combine(binDirectory, tool);
        return asPostgresUser
            ? RunProcess("runuser", ["-u", "postgres", "--", path, .. arguments], directory)
            : RunProcess(path, arguments, directory);
    }

    /// <summary>Runs a command to its end; throws with its output when it fails.</summary>
    private static string RunProcess(string file, string[] arguments, string workingDirectory)
    {
        // The working directory matters as the postgres user: it cannot enter /root.
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, line) => error.AppendLine(line.Data);
        process.BeginErrorReadLine();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"`{file} {string.Join(' ', arguments)}` exited with {process.ExitCode}:\n{output}{error}");
    }

    private string LogTail()
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(30));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private string Admin() => new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ConnectionString;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void KillProcessTree(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
