using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>A turn that reached the CLI's <c>result</c> message (or was stopped on purpose).</summary>
public sealed class CliTurnOutcome
{
    public required string SessionId { get; init; }

    /// <summary>The CLI's <c>result</c> message verbatim; null only when a cancelled turn ended without one.</summary>
    public JObject? Result { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>The result's <c>total_cost_usd</c>: the CLI's running total for the session (not for this turn alone).</summary>
    public double? TotalCostUsd => Result?["total_cost_usd"] is JValue { Type: JTokenType.Float or JTokenType.Integer } cost && double.IsFinite((double)cost) && (double)cost >= 0 ? (double)cost : null;

    /// <summary>True when the turn was stopped by a cancellation rather than finishing by itself.</summary>
    public bool Cancelled { get; init; }
}

/// <summary>Receives the stream of a turn as it arrives.</summary>
public interface ITurnObserver
{
    /// <summary>Called once, when the CLI's <c>system</c>/<c>init</c> message names the session, before that message is passed on.</summary>
    ValueTask OnSessionStartedAsync(string sessionId);

    /// <summary>Called for every stream-json message, in order (but <c>transcript_mirror</c> frames).</summary>
    ValueTask OnMessageAsync(string sessionId, JObject message);

    /// <summary>
    /// A <c>transcript_mirror</c> frame (<c>--session-mirror</c>): transcript lines the CLI has just written locally.
    /// Not for clients; only a shared store keeps them.
    /// </summary>
    ValueTask OnTranscriptMirrorAsync(string sessionId, JObject frame) => ValueTask.CompletedTask;

    /// <summary>
    /// The CLI asks whether a tool may run. Answered off the reading loop, so the stream keeps flowing while a
    /// person decides. A failure or a cancellation counts as a deny.
    /// </summary>
    ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(PermissionDecision.Deny("This host does not answer permission requests."));
}
