using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.PathRule;

/// <summary>Re-measures the path rule on the real CLI: a turn in an awkward folder, then the locator must find its transcript where the rule says.</summary>
public sealed class PathRuleLiveTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    public static TheoryData<string> AwkwardFolders() =>
    [
        "dots.in.name",
        "two  spaces",
        "café_ü",
        "emoji 😀",
        new string('l', 150) + "/" + new string('m', 90),
    ];

    [Theory]
    [MemberData(nameof(AwkwardFolders))]
    public async Task The_CLI_writes_the_transcript_in_the_folder_the_rule_names(string folder)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var workingDirectory = environment.Create(folder);

        var outcome = await EngineFactory.RunTurnAsync(environment, workingDirectory, "hello", output: output);

        var expected = Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(workingDirectory), outcome.SessionId + ".jsonl");
        Assert.True(File.Exists(expected), $"no transcript at {expected}; projects has: {string.Join(", ", Directory.GetDirectories(environment.ProjectsDirectory).Select(Path.GetFileName))}");
        var locator = new TranscriptLocator(new ClaudeConfigDirectory(environment.ConfigDirectory, IsCliDefault: false));
        Assert.Equal(expected, locator.Locate(outcome.SessionId, workingDirectory));
    }

    [Fact]
    public async Task A_session_started_through_a_symlink_lives_under_the_real_path()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var target = environment.Create("real target");
        var link = Path.Combine(environment.Root, "link");
        Directory.CreateSymbolicLink(link, target);

        var outcome = await EngineFactory.RunTurnAsync(environment, link, "hello", output: output);

        Assert.True(File.Exists(Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(target), outcome.SessionId + ".jsonl")));
        Assert.False(Directory.Exists(Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(link))));
        var locator = new TranscriptLocator(new ClaudeConfigDirectory(environment.ConfigDirectory, IsCliDefault: false));
        Assert.NotNull(locator.Locate(outcome.SessionId, RealPath.Resolve(link)));
    }

    [Fact]
    public async Task A_transcript_in_another_project_folder_is_still_found_as_the_CLI_finds_it()
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var first = environment.Create("first");
        var outcome = await EngineFactory.RunTurnAsync(environment, first, "hello", output: output);
        var moved = Path.Combine(environment.ProjectsDirectory, "-somewhere-else");
        Directory.Move(Path.Combine(environment.ProjectsDirectory, ProjectDirectoryName.Encode(first)), moved);

        var locator = new TranscriptLocator(new ClaudeConfigDirectory(environment.ConfigDirectory, IsCliDefault: false));
        Assert.Equal(Path.Combine(moved, outcome.SessionId + ".jsonl"), locator.Locate(outcome.SessionId, first));

        // And the real CLI agrees: it resumes the session from there.
        var resumed = await EngineFactory.RunTurnAsync(environment, first, "again", resume: outcome.SessionId, output: output);
        Assert.Equal(outcome.SessionId, resumed.SessionId);
        Assert.Equal("success", (string?)resumed.Result!["subtype"]);
    }
}
