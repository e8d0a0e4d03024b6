using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>The throw-away server itself: databases, going down and coming back, lost connections.</summary>
public sealed class PostgresServerTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Each_created_database_is_a_new_one_that_answers()
    {
        var first = server.CreateDatabase();
        var second = server.CreateDatabase();

        var firstName = new NpgsqlConnectionStringBuilder(first).Database;
        var secondName = new NpgsqlConnectionStringBuilder(second).Database;
        Assert.NotEqual(firstName, secondName);
        Assert.Equal(firstName, await ScalarAsync(first, "SELECT current_database()"));
        Assert.Equal(secondName, await ScalarAsync(second, "SELECT current_database()"));
        Assert.Equal(1, await ScalarAsync(first, "SELECT 1"));
        Assert.Equal(1, await ScalarAsync(second, "SELECT 1"));
        Assert.Equal($"postgres://postgres@127.0.0.1:{server.Port}/{firstName}", server.Url(firstName!));
    }

    [Fact]
    public async Task A_stopped_server_refuses_connections_until_it_starts_again()
    {
        var database = server.CreateDatabase();
        var unpooled = new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString;
        Assert.Equal(1, await ScalarAsync(database, "SELECT 1"));

        await server.StopAsync();
        try
        {
            Assert.Null(server.PostmasterPid);
            var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(unpooled, "SELECT 1"));
            Assert.IsType<System.Net.Sockets.SocketException>(refused.InnerException);
            // The pool still holds the connection of the first query: it opens, and its first command fails.
            var stale = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(database, "SELECT 1"));
            Assert.Equal(PostgresErrorCodes.AdminShutdown, stale.SqlState);
        }
        finally
        {
            await server.StartAsync();
        }

        Assert.NotNull(server.PostmasterPid);
        Assert.Equal(1, await ScalarAsync(unpooled, "SELECT 1"));
        Assert.Equal(1, await ScalarAsync(database, "SELECT 1"));
    }

    [Fact]
    public async Task Killed_connections_fail_on_their_next_command()
    {
        var database = server.CreateDatabase();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());

        await server.KillConnectionsAsync(new NpgsqlConnectionStringBuilder(database).Database!);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => command.ExecuteScalarAsync());
        Assert.Equal(1, await ScalarAsync(database, "SELECT 1"));
    }

    [Fact]
    public async Task A_server_made_directly_leaves_no_process_nor_folder_when_disposed()
    {
        int pid;
        string dataDirectory;
        using (var direct = new PostgresServer())
        {
            Assert.NotEqual(server.Port, direct.Port);
            Assert.Equal(1, await ScalarAsync(direct.CreateDatabase(), "SELECT 1"));
            pid = direct.PostmasterPid!.Value;
            dataDirectory = direct.DataDirectory;
            Assert.True(IsRunning(pid));
        }

        Assert.False(IsRunning(pid));
        Assert.False(Directory.Exists(dataDirectory));
    }

    /// <summary>Alive and not a zombie: the postmaster, reparented to init, may wait a moment to be reaped.</summary>
    private static bool IsRunning(int pid)
    {
        using var ps = Process.Start(new ProcessStartInfo("ps", ["-o", "stat=", "-p", pid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        var state = ps.StandardOutput.ReadToEnd().Trim();
        ps.WaitForExit();
        return state.Length > 0 && !state.StartsWith('Z');
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
