using ClaudeSessionSidecar.Engine.Cli;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Methods.Session;

/// <summary>
/// What the CLI's <c>result</c> message said: <c>{text, isError, subtype, numTurns, durationMs, totalCostUsd, cancelled}</c>.
/// What it left out is written as null, not dropped (the formatter drops nulls elsewhere).
/// </summary>
[JsonObject(ItemNullValueHandling = NullValueHandling.Include)]
public sealed class TurnResultDto
{
    public string? Text { get; init; }

    public bool IsError { get; init; }

    public string? Subtype { get; init; }

    public int? NumTurns { get; init; }

    public long? DurationMs { get; init; }

    public double? TotalCostUsd { get; init; }

    /// <summary>True when the turn was stopped by the client (cancel or disconnect).</summary>
    [JsonProperty(DefaultValueHandling = DefaultValueHandling.Ignore)]
    public bool Cancelled { get; init; }

    public static TurnResultDto From(CliTurnOutcome outcome)
    {
        var result = outcome.Result;
        return new TurnResultDto
        {
            Text = result?["result"] is JValue { Type: JTokenType.String } text ? (string?)text : null,
            IsError = result is null || result["is_error"]?.Type == JTokenType.Boolean && (bool)result["is_error"]!,
            Subtype = (string?)result?["subtype"],
            NumTurns = result?["num_turns"]?.Type == JTokenType.Integer ? (int)result["num_turns"]! : null,
            DurationMs = result?["duration_ms"]?.Type == JTokenType.Integer ? (long)result["duration_ms"]! : null,
            TotalCostUsd = outcome.TotalCostUsd,
            Cancelled = outcome.Cancelled,
        };
    }
}
