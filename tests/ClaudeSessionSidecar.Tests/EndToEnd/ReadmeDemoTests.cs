using System.Diagnostics;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.EndToEnd;

/// <summary>The README's demo (examples/demo.sh) runs as written, against the real CLI and the fake API.</summary>
public sealed class ReadmeDemoTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Fact]
    public async Task The_demo_creates_a_session_and_lists_it()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var startInfo = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(Path.Combine(Repository.Root, "examples", "demo.sh"));
        foreach (var (name, value) in environment.Variables())
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment["SIDECAR_DLL"] = Repository.ServerDll;
        startInfo.Environment["DEMO_DIR"] = environment.Workspace;
        startInfo.Environment["CLAUDE_SIDECAR_CLAUDE_PATH"] = RealClaudeCli.Path;
        using var demo = Process.Start(startInfo)!;
        var printed = await demo.StandardOutput.ReadToEndAsync();
        output.WriteLine(printed);
        output.WriteLine(await demo.StandardError.ReadToEndAsync());
        await demo.WaitForExitAsync();

        Assert.Equal(0, demo.ExitCode);
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToList();
        Assert.Equal(2, lines.Count);
        var sessionId = (string?)lines[0]["result"]!["sessionId"];
        Assert.False(string.IsNullOrEmpty(sessionId));
        Assert.Equal(sessionId, (string?)lines[1]["result"]!["sessions"]![0]!["sessionId"]);
    }
}
