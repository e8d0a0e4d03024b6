using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;

namespace ClaudeSessionSidecar.Tests.Store;

/// <summary>The summary counts a long transcript's usage from its two windows and the bytes between, as reading the whole file does.</summary>
public sealed class SummaryUsageTests : IDisposable
{
    private readonly TestEnvironment environment = new();

    public void Dispose() => environment.Dispose();

    [Theory]
    [InlineData(600, 300)]
    [InlineData(100, 1500)]
    [InlineData(3, 50_000)]
    public void A_long_transcripts_usage_is_every_lines_whichever_window_it_lies_in(int turns, int padding)
    {
        var path = Path.Combine(environment.Root, "long.jsonl");
        using (var writer = new StreamWriter(path))
        {
            for (var i = 0; i < turns; i++)
            {
                writer.Write($$$"""{"type":"user","timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"{{{new string('x', padding)}}}"}}""" + "\n");
                writer.Write($$$$"""{"type":"assistant","timestamp":"2026-01-01T00:00:01.000Z","requestId":"r{{{{i}}}}","message":{"id":"m{{{{i}}}}","role":"assistant","content":[],"usage":{"input_tokens":{{{{i + 1}}}},"output_tokens":2,"cache_read_input_tokens":3}}}""");
                writer.Write(i == turns - 1 ? "" : "\n");
            }
        }

        Assert.True(new FileInfo(path).Length > 2 * TranscriptSummary.WindowBytes);
        var usage = TranscriptSummary.Read(path).Usage;
        Assert.Equal(TranscriptUsage.Read(path), usage);
        Assert.Equal(turns * (turns + 1) / 2, usage.InputTokens);
        Assert.Equal(turns * 2, usage.OutputTokens);
    }
}
