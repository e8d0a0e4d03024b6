using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

public sealed class PromptParams
{
    public string? SessionId { get; set; }

    public JToken? Prompt { get; set; }
}

public sealed partial class AcpAgent
{
    public const string Prompt = "session/prompt";
    public const string Cancel = "session/cancel";

    /// <summary>
    /// Runs one turn: the first prompt of a <c>session/new</c> creates the session with its id, later ones resume it
    /// (in its live CLI when it has one). The stream goes out as <c>session/update</c>s; the answer is the stop reason.
    /// </summary>
    [JsonRpcMethod(Prompt, UseSingleObjectParameterDeserialization = true)]
    public async Task<JObject> PromptAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<PromptParams>(parameters);
        var session = OpenSession(p.SessionId);
        var text = PromptText(p.Prompt);
        var run = session.TryBeginPrompt() ?? throw RpcErrors.Translate(new SessionBusyException(session.SessionId))!;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run.Cancellation.Token);
            var observer = new AcpTurnObserver(host, session);
            var permissionMode = AcpModes.ToPermissionMode(session.ModeId);
            TurnResult turn;
            try
            {
                turn = await host.RunTurnAsync(
                    token => AcpErrors.TranslateAsync(() => IsStarted(session)
                        ? Sessions.Turns.ResumeAsync(new ResumeSessionRequest(session.SessionId, text, host.UserId, PermissionMode: permissionMode, IncludePartialMessages: true, McpConfig: session.McpConfig), observer, token)
                        : Sessions.Turns.CreateAsync(new CreateSessionRequest(session.WorkingDirectory, text, host.UserId, PermissionMode: permissionMode, IncludePartialMessages: true, SessionId: session.SessionId, McpConfig: session.McpConfig), observer, token)),
                    linked.Token);
            }
            catch (Exception) when (run.CancelRequested)
            {
                return StopReason("cancelled");
            }

            return StopReason(run.CancelRequested || turn.Outcome.Cancelled ? "cancelled" : StopReasonOf(turn.Outcome.Result));
        }
        finally
        {
            session.EndPrompt(run);
        }
    }

    /// <summary>Stops the session's running prompt the safe way; that prompt then answers <c>cancelled</c>, and the session stays resumable.</summary>
    [JsonRpcMethod(Cancel, UseSingleObjectParameterDeserialization = true)]
    public void CancelPrompt(JToken? parameters = null)
    {
        var sessionId = NotifiedSessionId(parameters);
        if (sessionId is not null && sessions.TryGetValue(sessionId, out var session))
        {
            session.CancelPrompt();
        }
        else
        {
            host.Log.Info($"session/cancel for a session not open here ({parameters?.ToString(Newtonsoft.Json.Formatting.None)}): nothing to stop.");
        }
    }

    /// <summary>A notification has no answer to carry an error: a bad one is logged, not thrown.</summary>
    private static string? NotifiedSessionId(JToken? parameters) =>
        parameters is JObject members && members["sessionId"] is JValue { Type: JTokenType.String } id ? Engine.Identifiers.SessionId.Normalize((string?)id) : null;

    /// <summary>Whether the CLI has the session already (its first prompt ran, or it was opened), so the next prompt resumes it.</summary>
    private bool IsStarted(AcpSession session) =>
        session.Started || (session.Started = Sessions.Catalog.GetStatus(session.SessionId, host.UserId, session.WorkingDirectory).Resumable);

    private static JObject StopReason(string stopReason) => new() { ["stopReason"] = stopReason };

    /// <summary>ACP's stop reason for the CLI's <c>result</c>.</summary>
    private static string StopReasonOf(JObject? result) =>
        (string?)result?["subtype"] == "error_max_turns" ? "max_turn_requests"
        : (string?)result?["stop_reason"] switch
        {
            "max_tokens" => "max_tokens",
            "refusal" => "refusal",
            _ => "end_turn",
        };

    /// <summary>
    /// The prompt as the CLI's text: text blocks as they are, resource links as <c>[@name](uri)</c> (the baseline ACP
    /// asks of every agent). Images, audio and embedded resources are refused with -32602: they are not advertised.
    /// </summary>
    private static string PromptText(JToken? prompt)
    {
        if (prompt is not JArray { Count: > 0 } blocks)
        {
            throw AcpErrors.InvalidParams("prompt", "prompt must be a non-empty array of content blocks.");
        }

        var text = new StringBuilder();
        foreach (var block in blocks)
        {
            var type = (string?)block["type"];
            var piece = type switch
            {
                "text" when block["text"] is JValue { Type: JTokenType.String } value => (string)value!,
                "resource_link" when block["uri"] is JValue { Type: JTokenType.String } uri => $"[@{(string?)block["name"] ?? (string)uri!}]({(string)uri!})",
                _ => throw AcpErrors.InvalidParams("prompt", $"This agent takes text and resource_link content blocks, not '{type}'."),
            };
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(piece);
        }

        return text.ToString().Trim().Length > 0 ? text.ToString() : throw AcpErrors.InvalidParams("prompt", "prompt has no text.");
    }
}
