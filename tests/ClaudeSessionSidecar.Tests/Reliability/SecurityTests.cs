using ClaudeSessionSidecar.Tests.Infrastructure;
using ClaudeSessionSidecar.Tests.Resumability;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Reliability;

/// <summary>No input makes the server read, write or delete outside the CLI's config folder and its store; no shell ever runs.</summary>
public sealed class SecurityTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task A_project_folder_planted_as_a_symlink_to_outside_is_never_read_or_deleted()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var outside = environment.Create("outside");
        var (sessionId, _) = TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
        var victim = Path.Combine(outside, sessionId + ".jsonl");
        File.Move(Path.Combine(environment.ProjectsDirectory, Engine.Transcripts.ProjectDirectoryName.Encode(environment.Workspace), sessionId + ".jsonl"), victim);
        Directory.CreateSymbolicLink(Path.Combine(environment.ProjectsDirectory, "-planted"), outside);
        await using var server = ServerProcess.Start(environment, output);

        Assert.Equal("metadata_not_found", (string?)(await server.InvokeAsync("session/status", new { sessionId }))["reason"]);
        Assert.Empty((await server.InvokeAsync("session/list", new { includeExternal = true }))["sessions"]!);
        Assert.Equal(-31005, (await server.InvokeExpectingErrorAsync("session/delete", new { sessionId })).ErrorCode);
        Assert.Equal(-31005, (await server.InvokeExpectingErrorAsync("session/rename", new { sessionId, title = "pwned" })).ErrorCode);
        Assert.True(File.Exists(victim));
        Assert.DoesNotContain("pwned", File.ReadAllText(victim), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transcript_planted_as_a_symlink_to_outside_is_never_followed()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var outside = environment.Create("outside");
        var (sessionId, path) = TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
        var victim = Path.Combine(outside, "secret.jsonl");
        File.Move(path, victim);
        File.CreateSymbolicLink(path, victim);
        await using var server = ServerProcess.Start(environment, output);

        Assert.False((bool)(await server.InvokeAsync("session/status", new { sessionId, workingDirectory = environment.Workspace }))["resumable"]!);
        Assert.Equal(-31005, (await server.InvokeExpectingErrorAsync("session/messages", new { sessionId, workingDirectory = environment.Workspace })).ErrorCode);
        foreach (var listing in new[] { "session/list", "session/listResumable" })
        {
            Assert.Empty((await server.InvokeAsync(listing, new { includeExternal = true }))["sessions"]!);
            Assert.Empty((await server.InvokeAsync(listing, new { includeExternal = true, workingDirectory = environment.Workspace }))["sessions"]!);
        }

        Assert.Equal(-31005, (await server.InvokeExpectingErrorAsync("session/delete", new { sessionId, workingDirectory = environment.Workspace })).ErrorCode);
        Assert.True(File.Exists(victim));
    }

    [Fact]
    public async Task A_session_folder_planted_as_a_symlink_is_neither_written_through_nor_emptied()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var outside = environment.Create("outside");
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep me");
        await using var server = ServerProcess.Start(environment, output);
        var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "target" });
        var sessionId = (string)created["sessionId"]!;
        var transcript = (string)created["status"]!["filePath"]!;
        Directory.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(transcript)!, sessionId), outside);

        var archive = await server.InvokeExpectingErrorAsync("session/archive", new { sessionId });
        Assert.Equal(-32603, archive.ErrorCode);
        Assert.False(File.Exists(Path.Combine(outside, "archived.json")));

        await server.InvokeAsync("session/delete", new { sessionId });
        Assert.False(File.Exists(transcript));
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(outside, "keep.txt")));
    }

    [Fact]
    public async Task No_shell_runs_whatever_the_prompt_model_or_folder_name_says()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var marker = Path.Combine(environment.Root, "pwned");
        var folder = environment.Create($"dir $(touch {marker}1) `touch {marker}2`");
        await using var server = ServerProcess.Start(environment, output);

        var created = await server.InvokeAsync("session/create", new { workingDirectory = folder, prompt = $"$(touch {marker}3); `touch {marker}4` | touch {marker}5", model = $"x$(touch {marker}6)" });

        Assert.False((bool)created["result"]!["isError"]! && created["result"]!["text"] is null);
        Assert.Empty(Directory.GetFiles(environment.Root, "pwned*"));
    }

    [Fact]
    public async Task The_log_file_is_readable_by_its_owner_alone_and_holds_no_prompt()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var log = Path.Combine(environment.Root, "server.log");
        const string Secret = "the secret prompt 4815162342";
        foreach (var level in new[] { "info", "debug" })
        {
            await using var server = ServerProcess.Start(environment, output, extraArguments: ["--log-file", log, "--log-level", level]);
            await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = Secret });
            await server.ShutdownAsync();
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
        var text = File.ReadAllText(log);
        Assert.Contains("Started claude", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_config_folder_deleted_under_a_running_server_gives_clear_statuses_and_no_crash()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        await using var server = ServerProcess.Start(environment, output);
        var sessionId = (string)(await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "before" }))["sessionId"]!;

        // The session's live CLI may still be writing there (its bookkeeping after the turn): delete until it is gone.
        await Polling.WaitUntilAsync(() => TryDelete(environment.ConfigDirectory), TimeSpan.FromSeconds(15), "the config folder to be deleted");

        Assert.Equal("session_file_missing", (string?)(await server.InvokeAsync("session/status", new { sessionId }))["reason"]);
        Assert.Equal("session_file_missing", (string?)(await server.InvokeAsync("session/list", new { includeExternal = true }))["sessions"]![0]!["status"]!["reason"]);
        Assert.Empty((await server.InvokeAsync("session/listResumable", new { includeExternal = true }))["sessions"]!);
        Assert.Equal(-31001, (await server.InvokeExpectingErrorAsync("session/resume", new { sessionId, prompt = "gone?" })).ErrorCode);

        // The CLI makes the folder again; the server goes on.
        var again = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = "after" });
        Assert.True((bool)again["status"]!["resumable"]!);
    }

    private static bool TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A file appeared while the folder was being emptied: try again.
        }

        return !Directory.Exists(folder);
    }
}
