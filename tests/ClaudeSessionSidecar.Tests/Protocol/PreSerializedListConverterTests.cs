using ClaudeSessionSidecar.Methods.Session;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace ClaudeSessionSidecar.Tests.Protocol;

/// <summary>The listings' hand-written JSON is the JSON the formatter writes from the DTOs' contracts (names, order, nulls, times).</summary>
public sealed class PreSerializedListConverterTests
{
    private static readonly SessionViewDto Full = new()
    {
        SessionId = "6f7e2b4c-1d2a-4c3b-9e8f-0a1b2c3d4e5f",
        UserId = "ana",
        WorkingDirectory = "/w/\"quoted\" \u00e9\u2028",
        CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 60, TimeSpan.FromHours(2)),
        LastActiveAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Title = "line\nbreak\ttab \u0001 control </script>",
        FirstPrompt = "prompt",
        CustomTitle = "custom",
        Tag = "tag",
        Archived = true,
        GitBranch = "main",
        FileSize = 123,
        FilePath = "/p/x.jsonl",
        Source = "sidecar",
        Status = new SessionStatusDto { Resumable = false, Reason = "session_file_missing", FileSize = 9, FilePath = "/p/y.jsonl", WorkingDirectory = "/w" },
        Usage = new UsageDto { InputTokens = 10, OutputTokens = 5_000_000_000, CacheCreationInputTokens = 0, CacheReadInputTokens = 7 },
        CostUsd = 0.00014000000000000001,
    };

    private static readonly SessionViewDto Sparse = new()
    {
        SessionId = "00000000-0000-4000-8000-000000000000",
        Title = "t",
        Source = "external",
        Status = new SessionStatusDto { Resumable = true },
    };

    [Fact]
    public void Sessions_are_written_as_the_formatter_writes_them()
    {
        var expected = Serialize(new ListResult { Sessions = [Full, Sparse], NextCursor = "c" }, handWritten: false);
        var actual = Serialize(new ListResult { Sessions = [Full, Sparse], NextCursor = "c" }, handWritten: true);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Search_hits_are_written_as_the_formatter_writes_them()
    {
        SearchHitDto[] hits =
        [
            new(Full, [new SearchMatchDto { Uuid = "u1", Type = "user", Timestamp = "2026-01-02T03:04:05.000Z", Snippet = "…the \"zebrafish\"\n…" }, new SearchMatchDto { Uuid = "u2", Type = "assistant", Snippet = "s" }]),
            new(Sparse, []),
        ];
        Assert.Equal(Serialize(new SearchResult { Sessions = hits, NextCursor = "c" }, handWritten: false), Serialize(new SearchResult { Sessions = hits, NextCursor = "c" }, handWritten: true));
    }

    [Fact]
    public void Resumable_sessions_are_written_as_the_formatter_writes_them()
    {
        var sessions = new[] { Full with { WorkingDirectory = "/w" }, Sparse with { WorkingDirectory = "/v", FilePath = "/f" } }
            .Select(view => ResumableSessionDto.From(new(view.SessionId, view.UserId, view.WorkingDirectory, view.CreatedAt, view.LastActiveAt, view.Title, view.FirstPrompt, null, null, false, null, view.FileSize, view.FilePath, Engine.Sessions.SessionSource.External, Engine.Resumability.SessionStatus.NotResumable(Engine.Resumability.NotResumableReason.MetadataNotFound), false)
            {
                Usage = view.Usage is { } usage ? new(usage.InputTokens, usage.OutputTokens, usage.CacheCreationInputTokens, usage.CacheReadInputTokens) : null,
                CostUsd = view.CostUsd,
            }))
            .ToList();
        Assert.Equal(Serialize(new ListResumableResult { Sessions = sessions }, handWritten: false), Serialize(new ListResumableResult { Sessions = sessions }, handWritten: true));
    }

    /// <summary>As the wire has it: the formatter's settings, a token tree, then text.</summary>
    private static string Serialize(object result, bool handWritten)
    {
        var serializer = new JsonSerializer
        {
            ContractResolver = new DefaultContractResolver { NamingStrategy = new CamelCaseNamingStrategy { ProcessDictionaryKeys = false, OverrideSpecifiedNames = false } },
            DateParseHandling = DateParseHandling.None,
        };
        serializer.Converters.Add(new UtcTimeConverter());
        if (handWritten)
        {
            serializer.Converters.Add(new PreSerializedListConverter());
        }

        using var writer = new JTokenWriter();
        serializer.Serialize(writer, result);
        return writer.Token!.ToString(Formatting.None);
    }
}
