using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Resumability;

/// <summary>
/// The experiment behind the resumability rule, kept: the real CLI runs <c>--resume</c> on every crafted
/// transcript, and both its verdict and the judge's must be the one recorded in manifest.json.
/// </summary>
public sealed class ResumabilityLiveTests(FakeApiFixture fixture, ITestOutputHelper output) : IClassFixture<FakeApiFixture>
{
    [Theory]
    [MemberData(nameof(TranscriptCorpus.Cases), MemberType = typeof(TranscriptCorpus))]
    public async Task The_real_CLI_and_the_judge_agree_on_the_crafted_transcript(string name)
    {
        using var environment = new TestEnvironment(fixture.Api.BaseUrl);
        var (sessionId, path) = TranscriptCorpus.Materialize(environment, name, environment.Workspace);
        var judged = TranscriptJudge.Judge(path).Reason is null;

        bool cliResumed;
        try
        {
            var outcome = await EngineFactory.RunTurnAsync(environment, environment.Workspace, "probe " + name, resume: sessionId, output: output);
            cliResumed = outcome.SessionId == sessionId && (string?)outcome.Result!["subtype"] == "success";
        }
        catch (CliFailedException failure)
        {
            output.WriteLine($"CLI refused: {failure.Message}");
            cliResumed = false;
        }

        Assert.Equal(TranscriptCorpus.CliResumes(name), cliResumed);
        Assert.Equal(cliResumed, judged);
    }
}
