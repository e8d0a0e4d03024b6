using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>
/// <c>session/requestPermission</c>'s <c>proposedEdit</c> for the real CLI's Write and Edit: the change against the file
/// as it is, in hunks the same as the CLI's own <c>structuredPatch</c> once the tool has run; or a name and a reason.
/// </summary>
public sealed class ProposedEditTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    private const string EightLines = "line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\n";

    [Fact]
    public async Task An_edit_proposes_the_change_the_CLI_then_makes_with_its_own_hunks()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = Path.Combine(environment.Workspace, "eight.txt");
        File.WriteAllText(target, EightLines);
        await using var server = ServerProcess.Start(environment, output, permissions: _ => new JObject { ["allow"] = true });

        await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[edit:{target}|line5|LINE FIVE]" });

        var proposed = Assert.Single(server.PermissionRequests)["proposedEdit"] as JObject;
        Assert.NotNull(proposed);
        Assert.Equal(target, (string?)proposed["path"]);
        Assert.Equal(EightLines, (string?)proposed["oldText"]);
        Assert.Equal(File.ReadAllText(target), (string?)proposed["newText"]);
        Assert.Equal(5, (int?)proposed["line"]);
        Assert.True(JToken.DeepEquals(CliPatch(server), proposed["hunks"]), $"{proposed["hunks"]}\nCLI: {CliPatch(server)}");
    }

    [Fact]
    public async Task A_write_over_a_file_proposes_it_against_the_file_text_and_a_new_file_is_all_added()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var existing = Path.Combine(environment.Workspace, "existing.txt");
        var fresh = Path.Combine(environment.Workspace, "fresh.txt");
        File.WriteAllText(existing, EightLines);
        await using var server = ServerProcess.Start(environment, output, permissions: _ => new JObject { ["allow"] = true });

        await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{existing}]" });
        var overwrite = (JObject)Assert.Single(server.PermissionRequests)["proposedEdit"]!;
        Assert.Equal(EightLines, (string?)overwrite["oldText"]);
        Assert.Equal("written by the fake model", (string?)overwrite["newText"]);
        Assert.True(JToken.DeepEquals(CliPatch(server), overwrite["hunks"]), $"{overwrite["hunks"]}\nCLI: {CliPatch(server)}");

        server.PermissionRequests.Clear();
        await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{fresh}]" });
        var created = (JObject)Assert.Single(server.PermissionRequests)["proposedEdit"]!;
        Assert.Equal(JTokenType.Null, created["oldText"]!.Type);
        var hunk = (JObject)Assert.Single((JArray)created["hunks"]!);
        Assert.Equal(0, (int)hunk["oldStart"]!);
        Assert.Equal(new JArray("+written by the fake model", "\\ No newline at end of file"), hunk["lines"]);
    }

    [Fact]
    public async Task A_file_outside_the_workspace_binary_or_too_large_is_named_with_a_reason_and_not_read()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        // A new file: the CLI will not write over a file outside the workspace that it has not read.
        var outside = Path.Combine(environment.Create("elsewhere"), "new.txt");
        var binary = Path.Combine(environment.Workspace, "image.bin");
        var large = Path.Combine(environment.Workspace, "large.txt");
        File.WriteAllBytes(binary, [0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]);
        File.WriteAllText(large, new string('x', 2 * 1024 * 1024));
        await using var server = ServerProcess.Start(environment, output, permissions: _ => new JObject { ["allow"] = false });

        foreach (var (path, reason) in new[] { (outside, "outside_workspace"), (binary, "binary"), (large, "too_large") })
        {
            server.PermissionRequests.Clear();
            var created = await server.InvokeAsync("session/create", new { workingDirectory = environment.Workspace, prompt = $"[write:{path}]" });
            Assert.Contains("Denied", (string?)created["result"]!["text"], StringComparison.Ordinal);

            var proposed = (JObject)Assert.Single(server.PermissionRequests)["proposedEdit"]!;
            Assert.Equal(new JObject { ["path"] = path, ["unshown"] = reason }, proposed);
        }
    }

    /// <summary>The CLI's own record of the change: the <c>structuredPatch</c> of the tool result in the turn's stream.</summary>
    private static JToken? CliPatch(ServerProcess server) => server.Messages
        .Select(notification => notification["message"]?["tool_use_result"]?["structuredPatch"])
        .LastOrDefault(patch => patch is not null);
}
