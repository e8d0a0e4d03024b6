using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// CLI faults the real CLI will not produce on demand, through a scripted fake CLI. Each gives a clear
/// error, no metadata for a session never announced, and a server that goes on serving.
/// </summary>
public sealed class CliFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_error_before_init_reports_exit_code_and_stderr_and_stores_nothing()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", "echo '--dangerously-skip-permissions cannot be used with root/sudo privileges' >&2\nexit 1");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var error = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal(-31002, error.ErrorCode);
        var data = error.ErrorData!;
        Assert.Equal(1, (int?)data["exitCode"]);
        Assert.Contains("cannot be used with root/sudo privileges", (string?)data["stderr"], StringComparison.Ordinal);
        Assert.Equal("cli_exited_without_result", (string?)data["reason"]);
        await AssertStillServingWithNoRecordsAsync(server, environment);
    }

    [Fact]
    public async Task An_error_result_before_init_carries_the_CLIs_errors()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", """
            echo 'No conversation found with session ID: x' >&2
            echo '{"type":"result","subtype":"error_during_execution","is_error":true,"errors":["No conversation found with session ID: x"],"session_id":"x"}'
            exit 1
            """);
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var error = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal(-31002, error.ErrorCode);
        var data = error.ErrorData!;
        Assert.Equal("cli_error_before_init", (string?)data["reason"]);
        Assert.Equal(["No conversation found with session ID: x"], data["errors"]!.Values<string>());
        await AssertStillServingWithNoRecordsAsync(server, environment);
    }

    [Fact]
    public async Task Garbage_lines_are_reported_when_no_result_follows()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", "echo 'this is not json'\necho '{broken'\nexit 0");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var error = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal(-31002, error.ErrorCode);
        Assert.Contains("not JSON: this is not json", error.ErrorData!["errors"]!.Values<string>());
        await AssertStillServingWithNoRecordsAsync(server, environment);
    }

    [Fact]
    public async Task Garbage_between_good_messages_is_skipped_and_the_turn_succeeds()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\necho 'warning: not json'\necho '{ScriptedCli.Result}'\nread -r _\nexit 0");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal(ScriptedCli.SessionId, (string?)created["sessionId"]);
        Assert.Equal("scripted", (string?)created["result"]!["text"]);
    }

    [Fact]
    public async Task Messages_are_forwarded_verbatim_timestamps_included()
    {
        using var environment = new TestEnvironment();
        const string Assistant = """{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"x"}]},"timestamp":"2026-01-01T00:00:00.100Z","n":1.50}""";
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\necho '{Assistant}'\necho '{ScriptedCli.Result}'\nread -r _\nexit 0");
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"], claudePath: cli);

        await server.Process.StandardInput.WriteLineAsync(new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "session/create", ["params"] = new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "hi" } }.ToString(Newtonsoft.Json.Formatting.None));
        await server.Process.StandardInput.FlushAsync();
        var lines = new List<string>();
        while (await server.Process.StandardOutput.ReadLineAsync() is { } line && !line.Contains("\"id\":1", StringComparison.Ordinal))
        {
            lines.Add(line);
        }

        Assert.Contains(lines, line => line.Contains("\"timestamp\":\"2026-01-01T00:00:00.100Z\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_crash_mid_stream_reports_the_exit_code_and_the_announced_session()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\necho 'segfault' >&2\nkill -SEGV $$");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var error = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal(-31002, error.ErrorCode);
        var data = error.ErrorData!;
        Assert.Equal(ScriptedCli.SessionId, (string?)data["sessionId"]);
        Assert.NotEqual(0, (int?)data["exitCode"]);
        Assert.Contains("segfault", (string?)data["stderr"], StringComparison.Ordinal);
        Assert.NotNull(await server.InvokeAsync("initialize", new { }));
    }

    [Theory]
    [InlineData("sleep 600")]
    [InlineData("while true; do echo '{\"type\":\"assistant\",\"message\":{}}'; sleep 0.2; done")]
    public async Task A_hanging_CLI_is_stopped_at_the_turn_timeout_while_the_server_keeps_answering(string hang)
    {
        using var environment = new TestEnvironment();
        // The script ignores SIGINT and SIGTERM, so only the last resort (SIGKILL) ends it.
        var cli = ScriptedCli.Write(environment, "claude", $"trap '' INT TERM\necho '{ScriptedCli.Init}'\n{hang}");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli, extraArguments: ["--turn-timeout", "2"]);

        var turn = server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });
        await server.FirstSessionId.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(await server.InvokeAsync("initialize", new { }));

        var error = await Assert.ThrowsAsync<StreamJsonRpc.RemoteInvocationException>(() => turn.WaitAsync(TimeSpan.FromSeconds(90)));
        Assert.Equal(-31002, error.ErrorCode);
        var data = (JObject)error.ErrorData!;
        Assert.Equal("turn_timeout", (string?)data["reason"]);
        // As the protocol lists it: the CLI's exit code, here that of the kill that ended it.
        Assert.Equal(JTokenType.Integer, data["exitCode"]?.Type);
        Assert.Equal(ScriptedCli.SessionId, (string?)data["sessionId"]);
        Assert.NotNull(await server.InvokeAsync("initialize", new { }));
    }

    [Fact]
    public async Task A_50_MB_line_is_skipped_and_reported_without_holding_it()
    {
        using var environment = new TestEnvironment();
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\nhead -c 52428800 /dev/zero | tr '\\0' x\necho\necho '{ScriptedCli.Result}'\nread -r _\nexit 0");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });
        Assert.Equal("scripted", (string?)created["result"]!["text"]);
        Assert.True(Reliability.ProtocolFuzzTests.ResidentMegabytes(server.Process.Id) < 400, "the server held the line");

        var onlyTheLine = ScriptedCli.Write(environment, "claude2", "head -c 52428800 /dev/zero | tr '\\0' x\necho\nexit 3");
        await using var second = ServerProcess.Start(environment, output, claudePath: onlyTheLine);
        var error = await second.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });
        Assert.Equal(-31002, error.ErrorCode);
        Assert.Contains(error.ErrorData!["errors"]!.Values<string>(), e => e!.StartsWith("a line of 52428800 characters", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lost_transcript_writes_on_a_full_disk_are_a_clear_error()
    {
        using var environment = new TestEnvironment();
        var lost = $$"""{"type":"system","subtype":"session_writes_lost","error_code":"ENOSPC","lost":["transcript"],"transcript_session_ids":["{{ScriptedCli.SessionId}}"],"session_id":"{{ScriptedCli.SessionId}}"}""";
        var cli = ScriptedCli.Write(environment, "claude", $"echo '{ScriptedCli.Init}'\necho '{lost}'\necho '{ScriptedCli.Result}'\nread -r _\nexit 0");
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        var error = await server.InvokeExpectingErrorAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal(-31002, error.ErrorCode);
        Assert.Equal("session_writes_lost", (string?)error.ErrorData!["reason"]);
        Assert.Equal(ScriptedCli.SessionId, (string?)error.ErrorData!["sessionId"]);
        Assert.Contains("session_writes_lost: ENOSPC (transcript)", error.ErrorData!["errors"]!.Values<string>());
    }

    [Fact]
    public async Task A_CLI_replaced_between_turns_is_the_one_the_next_turn_runs()
    {
        using var environment = new TestEnvironment();
        string Version(string version, string text) =>
            $"if [ \"$1\" = --version ]; then echo '{version} (Claude Code)'; exit 0; fi\n" +
            $"read -r prompt\necho '{ScriptedCli.Init}'\necho '{ScriptedCli.Result.Replace("scripted", text, StringComparison.Ordinal)}'\nread -r _\nexit 0";
        var path = Path.Combine(environment.Root, "claude");
        void Install(string body, DateTime modified)
        {
            // As an upgrade does: a new file renamed over the old one.
            var staged = path + ".new";
            File.WriteAllText(staged, "#!/usr/bin/env bash\n" + body + "\n");
            File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetLastWriteTimeUtc(staged, modified);
            File.Move(staged, path, overwrite: true);
        }

        // Modification times a minute apart, as on file systems with one-second resolution, without waiting for them.
        var installedAt = DateTime.UtcNow.AddMinutes(-2);
        Install(Version("1.0.0", "old cli"), installedAt);
        await using var server = ServerProcess.Start(environment, output, claudePath: path);
        Assert.Equal("1.0.0", (string?)(await server.InvokeAsync("initialize", new { }))["claude"]!["version"]);
        Assert.Equal("old cli", (string?)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "a" }))["result"]!["text"]);

        Install(Version("9.9.9", "new cli"), installedAt.AddMinutes(1));

        Assert.Equal("new cli", (string?)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "b" }))["result"]!["text"]);
        Assert.Equal("9.9.9", (string?)(await server.InvokeAsync("initialize", new { }))["claude"]!["version"]);
    }

    [Fact]
    public async Task A_missing_CLI_gives_not_found()
    {
        using var environment = new TestEnvironment();
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"], claudePath: Path.Combine(environment.Root, "no-such-claude"));
        var client = server.RawClient();

        var initialize = await client.RequestAsync("initialize", new JObject());
        Assert.Equal(JTokenType.Null, initialize["result"]!["claude"]!["path"]!.Type);
        var error = (await client.RequestAsync("session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "hi" }))["error"]!;

        Assert.Equal(-31003, (int?)error["code"]);
        Assert.Equal("cli_not_found", (string?)error["data"]!["reason"]);
        Assert.NotNull((await client.RequestAsync("initialize", new JObject()))["result"]);
        Assert.Empty(Engine.Store.SessionStore.Open(environment.StoreDirectory).AllSessionIds());
    }

    [Fact]
    public async Task A_CLI_file_that_is_not_executable_gives_not_found()
    {
        using var environment = new TestEnvironment();
        var path = Path.Combine(environment.Root, "claude");
        File.WriteAllText(path, "not a program");
        await using var server = ServerProcess.Launch(environment, output, ["--framing", "newline"], claudePath: path);

        var error = (await server.RawClient().RequestAsync("session/create", new JObject { ["workingDirectory"] = environment.Workspace, ["prompt"] = "hi" }))["error"]!;

        Assert.Equal(-31003, (int?)error["code"]);
        Assert.Contains("Permission denied", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spare_whose_CLI_refuses_initialize_still_takes_the_create()
    {
        // An older CLI answers a control request it does not know with an error: the spare is still fit for its turn.
        using var environment = new TestEnvironment();
        var starts = Path.Combine(environment.Root, "starts");
        var body = $$$"""
            echo "$*" >> '{{{starts}}}'
            if [[ "$prompt" == *'"subtype":"initialize"'* ]]; then
              id=$(sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p' <<< "$prompt")
              echo '{"type":"control_response","response":{"subtype":"error","request_id":"'"$id"'","error":"Unknown subtype: initialize"}}'
              read -r prompt
            fi
            echo '{{{ScriptedCli.Init}}}'
            echo '{{{ScriptedCli.Result}}}'
            read -r _
            exit 0
            """;
        var cli = ScriptedCli.Write(environment, "claude", body);
        await using var server = ServerProcess.Start(environment, output, claudePath: cli);

        await server.InvokeAsync("session/prepare", new { workingDirectory = environment.Workspace });
        await Polling.WaitUntilAsync(() => File.Exists(starts) && File.ReadAllText(starts).Contains("--input-format", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the spare started");
        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "hi" });

        Assert.Equal("scripted", (string?)created["result"]!["text"]);
        // One CLI ran turns (the spare); any other start was `--version`.
        Assert.Single(File.ReadAllLines(starts), line => line.Contains("--input-format", StringComparison.Ordinal));
    }

    private static async Task AssertStillServingWithNoRecordsAsync(ServerProcess server, TestEnvironment environment)
    {
        Assert.NotNull(await server.InvokeAsync("initialize", new { }));
        Assert.Empty(Engine.Store.SessionStore.Open(environment.StoreDirectory).AllSessionIds());
    }
}
