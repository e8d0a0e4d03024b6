using BenchmarkDotNet.Attributes;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;

namespace ClaudeSessionSidecar.Benchmarks;

/// <summary>
/// The hot paths of a listing and a resume: the path rule, the resumability check (150 KB and 20 MB transcripts,
/// warm = the file unchanged since the last check, cold = judged from its bytes), the summary a listing shows, the
/// store's queries, and a warm scan of a folder of 2,000 transcripts through the summary index.
/// </summary>
[MemoryDiagnoser]
public class HotPaths
{
    private string root = null!;
    private string small = null!;
    private string large = null!;
    private string folder = null!;
    private SessionStore store = null!;
    private SummaryIndex index = null!;

    [GlobalSetup]
    public void Setup()
    {
        root = Directory.CreateTempSubdirectory("css-bench-").FullName;
        folder = Path.Combine(root, "projects", "-work");
        Directory.CreateDirectory(folder);
        small = Transcript(Path.Combine(folder, Guid.NewGuid() + ".jsonl"), 150 * 1024);
        large = Transcript(Path.Combine(root, Guid.NewGuid() + ".jsonl"), 20 * 1024 * 1024);
        for (var i = 0; i < 1999; i++)
        {
            File.Copy(small, Path.Combine(folder, Guid.NewGuid() + ".jsonl"));
        }

        foreach (var file in Directory.EnumerateFiles(folder))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-1));
        }

        store = SessionStore.Open(Path.Combine(root, "store"));
        for (var i = 0; i < 200; i++)
        {
            store.Insert(new SessionRecord(Guid.NewGuid().ToString(), "bench", "/work", "/work", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddSeconds(i), "title", "prompt"));
        }

        index = new SummaryIndex(store, NullLog.Instance);
        var toSave = new List<IndexedTranscript>();
        index.Read(index.Scan(folder), toSave);
        index.Save(toSave);
        TranscriptJudge.Judge(small);
        TranscriptJudge.Judge(large);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(root, recursive: true);

    [Benchmark]
    public string PathRule_short() => ProjectDirectoryName.Encode("/home/user/src/my.project/sub dir");

    [Benchmark]
    public string PathRule_long() => ProjectDirectoryName.Encode("/home/user/" + new string('x', 240));

    [Benchmark]
    public TranscriptVerdict Resumability_150KB_warm() => TranscriptJudge.Judge(small);

    [Benchmark]
    public TranscriptVerdict Resumability_20MB_warm() => TranscriptJudge.Judge(large);

    [Benchmark]
    public NotResumableReason? Resumability_150KB_cold() => TranscriptJudge.JudgeUncached(small);

    [Benchmark]
    public NotResumableReason? Resumability_20MB_cold() => TranscriptJudge.JudgeUncached(large);

    [Benchmark]
    public TranscriptSummary Summary_150KB() => TranscriptSummary.Read(small);

    [Benchmark]
    public TranscriptSummary Summary_20MB() => TranscriptSummary.Read(large);

    [Benchmark]
    public int Store_list_200() => store.List("bench", "/work").Count;

    [Benchmark]
    public int Store_all_ids() => store.AllSessionIds().Count;

    [Benchmark]
    public int Store_load_2000_summaries() => store.LoadSummaries(folder, SummaryIndex.Format).Count;

    [Benchmark]
    public int Index_warm_scan_2000() => index.Scan(folder).Count;

    /// <summary>A transcript shaped like the CLI's: user and assistant turns with long content, chained by parentUuid.</summary>
    private static string Transcript(string path, long size)
    {
        var sessionId = Path.GetFileNameWithoutExtension(path);
        using var writer = new StreamWriter(path);
        string? parent = null;
        long written = 0;
        for (var turn = 0; written < size; turn++)
        {
            var type = turn % 2 == 0 ? "user" : "assistant";
            var uuid = Guid.NewGuid().ToString();
            var line = $$"""{"parentUuid":{{(parent is null ? "null" : $"\"{parent}\"")}},"isSidechain":false,"type":"{{type}}","message":{"role":"{{type}}","content":[{"type":"text","text":"{{new string('a', 1500)}} turn {{turn}}"}]},"uuid":"{{uuid}}","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/work","sessionId":"{{sessionId}}","gitBranch":"main","entrypoint":"cli"}""";
            writer.WriteLine(line);
            written += line.Length + 1;
            parent = uuid;
        }

        return path;
    }
}
