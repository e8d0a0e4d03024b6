using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Resumability;

/// <summary>The judge against the real CLI's recorded verdict on every crafted transcript (TestData/resumability).</summary>
public sealed class TranscriptJudgeTests
{
    [Theory]
    [MemberData(nameof(TranscriptCorpus.Cases), MemberType = typeof(TranscriptCorpus))]
    public void Agrees_with_the_CLIs_recorded_verdict(string name)
    {
        using var environment = new TestEnvironment();
        var (_, path) = TranscriptCorpus.Materialize(environment, name, environment.Workspace);

        var verdict = TranscriptJudge.Judge(path);

        Assert.True(TranscriptCorpus.CliResumes(name) == (verdict.Reason is null), $"{name}: the CLI {(TranscriptCorpus.CliResumes(name) ? "resumes" : "refuses")} it, the judge says {verdict.Reason?.ToWireName() ?? "resumable"}");
    }

    [Theory]
    [InlineData("empty", NotResumableReason.SessionFileTooSmall)]
    [InlineData("whitespace-only", NotResumableReason.SessionFileTooSmall)]
    [InlineData("only-metadata-mix", NotResumableReason.SessionFileNoConversation)]
    [InlineData("user-drop-timestamp", NotResumableReason.SessionFileNoConversation)]
    [InlineData("directory", NotResumableReason.SessionFileUnreadable)]
    [InlineData("absent", NotResumableReason.SessionFileMissing)]
    public void Names_why_a_file_will_not_resume(string name, NotResumableReason reason)
    {
        using var environment = new TestEnvironment();
        var (_, path) = TranscriptCorpus.Materialize(environment, name, environment.Workspace);

        Assert.Equal(reason, TranscriptJudge.Judge(path).Reason);
    }

    [Fact]
    public void Size_says_nothing_a_37_byte_file_resumes_and_a_5_MB_one_does_not()
    {
        using var environment = new TestEnvironment();
        var (_, tiny) = TranscriptCorpus.Materialize(environment, "tiny-system-ts", environment.Workspace);
        var (_, large) = TranscriptCorpus.Materialize(environment, "large-pad-only", environment.Workspace);

        Assert.True(new FileInfo(tiny).Length < 100);
        Assert.Null(TranscriptJudge.Judge(tiny).Reason);
        Assert.True(new FileInfo(large).Length > 5_000_000);
        Assert.Equal(NotResumableReason.SessionFileNoConversation, TranscriptJudge.Judge(large).Reason);
    }

    [Fact]
    public void A_20_MB_transcript_is_judged_from_a_bounded_tail_read()
    {
        using var environment = new TestEnvironment();
        var (_, path) = TranscriptCorpus.Materialize(environment, "genuine-shape", environment.Workspace);
        var genuine = File.ReadAllBytes(path);
        using (var stream = new FileStream(path, FileMode.Create))
        {
            var padding = System.Text.Encoding.UTF8.GetBytes("{\"type\":\"queue-operation\",\"operation\":\"enqueue\",\"content\":\"" + new string('x', 900) + "\"}\n");
            for (var written = 0L; written < 20_000_000; written += padding.Length)
            {
                stream.Write(padding);
            }

            stream.Write(genuine);
        }

        TranscriptJudge.BytesRead = 0;
        Assert.Null(TranscriptJudge.Judge(path).Reason);
        Assert.InRange(TranscriptJudge.BytesRead, 1, 64 * 1024);

        // Judged again unchanged: answered from memory, nothing read.
        TranscriptJudge.BytesRead = 0;
        Assert.Null(TranscriptJudge.Judge(path).Reason);
        Assert.Equal(0, TranscriptJudge.BytesRead);

        // Changed (a bad-timestamp user line appended): judged anew.
        File.AppendAllText(path, "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"x\"},\"uuid\":\"zz\",\"timestamp\":\"not a date\"}\n");
        Assert.Equal(NotResumableReason.SessionFileNoConversation, TranscriptJudge.Judge(path).Reason);
    }

    [Theory]
    [InlineData("2026-11-26T12:00:00.000Z", true)]
    [InlineData("2026", true)]
    [InlineData("2026-01-01", true)]
    [InlineData("2026-01-01T00:00:00", true)]
    [InlineData("Thu, 26 Nov 2026 12:00:00 GMT", true)]
    [InlineData("0", false)]
    [InlineData(" ", false)]
    [InlineData("not a date", false)]
    [InlineData("2026-13-45", false)]
    public void Timestamps_are_valid_as_the_CLIs_Date_parse_takes_them(string timestamp, bool valid)
    {
        Assert.Equal(valid, ConversationEntry.IsValidDate(timestamp));
    }
}
