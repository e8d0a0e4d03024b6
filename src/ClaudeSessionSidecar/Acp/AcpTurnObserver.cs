using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Hosting;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

/// <summary>
/// One prompt's view of the CLI's stream: <c>session/update</c> notifications as it arrives, and the CLI's
/// permission questions asked with <c>session/request_permission</c>.
/// </summary>
internal sealed class AcpTurnObserver(SidecarHost host, AcpSession session, bool terminalOutput = false) : ITurnObserver
{
    public const string RequestPermissionMethod = "session/request_permission";

    private const string AllowOnce = "allow_once";
    private const string AllowAlways = "allow_always";
    private const string RejectOnce = "reject_once";
    private const string RejectAlways = "reject_always";

    private static readonly JArray PermissionOptions =
    [
        new JObject { ["optionId"] = AllowOnce, ["name"] = "Allow", ["kind"] = AllowOnce },
        new JObject { ["optionId"] = AllowAlways, ["name"] = "Always allow", ["kind"] = AllowAlways },
        new JObject { ["optionId"] = RejectOnce, ["name"] = "Reject", ["kind"] = RejectOnce },
        new JObject { ["optionId"] = RejectAlways, ["name"] = "Always reject", ["kind"] = RejectAlways },
    ];

    /// <summary>
    /// Leaving plan mode (the CLI's ExitPlanMode asks first): the modes to go to, as the anchor offers them. The option's
    /// id is the mode; keeping on planning rejects.
    /// </summary>
    private static readonly JArray ExitPlanOptions =
    [
        new JObject { ["optionId"] = "acceptEdits", ["name"] = "Yes, and auto-accept edits", ["kind"] = AllowAlways },
        new JObject { ["optionId"] = AcpModes.Default, ["name"] = "Yes, and manually approve edits", ["kind"] = AllowOnce },
        new JObject { ["optionId"] = "plan", ["name"] = "No, keep planning", ["kind"] = RejectOnce },
    ];

    /// <summary>The turn's tool calls: a live edit's call carries its diff against the file as it is now.</summary>
    private readonly AcpToolCalls tools = new(session.WorkingDirectory, terminalOutput);

    /// <summary>Whether text or thinking came as partial chunks since the last full assistant message (then that message's are not sent again).</summary>
    private bool textStreamed;
    private bool thinkingStreamed;

    /// <summary>
    /// The CLI answered that it has no login (measured on 2.1.328: an assistant message with
    /// <c>error: "authentication_failed"</c> and the text "Not logged in · Please run /login", then an error result).
    /// </summary>
    public string? AuthenticationFailure { get; private set; }

    /// <summary>The <c>usage</c> of the turn's last assistant message: what the context held at its end.</summary>
    public JObject? LastUsage { get; private set; }

    public ValueTask OnSessionStartedAsync(string sessionId)
    {
        session.Started = true;
        return ValueTask.CompletedTask;
    }

    public async ValueTask OnMessageAsync(string sessionId, JObject message)
    {
        IEnumerable<JObject> updates;
        switch ((string?)message["type"])
        {
            case "stream_event":
                var chunk = AcpUpdates.FromStreamEvent(message);
                textStreamed |= (string?)chunk?["sessionUpdate"] == "agent_message_chunk";
                thinkingStreamed |= (string?)chunk?["sessionUpdate"] == "agent_thought_chunk";
                updates = chunk is null ? [] : [chunk];
                break;
            case "assistant" or "user" when message["parent_tool_use_id"] is JValue { Type: JTokenType.String } task:
                // Inside a subagent: its tool calls and results, under the Task's call; its own words stay inside.
                updates = AcpUpdates.FromEntry(message, tools, includeText: false, includeThinking: false).Select(update => AcpUpdates.InsideTask(update, (string)task!)).ToList();
                break;
            case "assistant":
                LastUsage = message["message"]?["usage"] as JObject ?? LastUsage;
                if ((string?)message["error"] == "authentication_failed")
                {
                    AuthenticationFailure = string.Concat(message["message"]?["content"]?.Select(block => (string?)block["text"]) ?? []);
                }

                updates = AcpUpdates.FromContent("assistant", message["message"]?["content"], tools, includeText: !textStreamed, includeThinking: !thinkingStreamed).ToList();
                textStreamed = thinkingStreamed = false;
                break;
            case "user":
                updates = AcpUpdates.FromEntry(message, tools, includeText: false, includeThinking: false);
                break;
            case "system" when (string?)message["subtype"] == "status" && message["permissionMode"] is JValue { Type: JTokenType.String } changed
                && AcpModes.IsKnown((string)changed!) && (string)changed! != session.ModeId:
                // The CLI changed its mode itself (plan mode left or entered): the session's next turns keep it.
                session.ModeId = (string)changed!;
                await NotifyModeAndOptionsAsync(host, session);
                updates = [];
                break;
            default:
                updates = [];
                break;
        }

        foreach (var update in updates)
        {
            await NotifyAsync(host, session.SessionId, update);
        }
    }

    /// <summary>
    /// Asks the client, unless it chose "always" for this tool earlier in the session. Only a selected allow option
    /// allows; a cancelled outcome, an error, no answer before the turn stops, or a closed connection deny.
    /// </summary>
    public async ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken)
    {
        var leavingPlan = request.ToolName == "ExitPlanMode";
        if (!leavingPlan && session.AlwaysDecided.TryGetValue(request.ToolName, out var alwaysAllowed))
        {
            return alwaysAllowed ? new PermissionDecision(true) : PermissionDecision.Deny($"The user always rejects {request.ToolName} in this session.");
        }

        var toolCall = tools.Call(request.ToolUseId ?? Guid.NewGuid().ToString(), request.ToolName, request.Input);
        toolCall.Remove("sessionUpdate");
        using var unanswerable = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, host.ClientInputEnded);
        string? optionId;
        try
        {
            // The client's answer is waited for only while one can come; the request itself is not cancelled on the
            // wire (ACP clients answer a session/cancel's pending questions with the "cancelled" outcome themselves).
            var answer = await host.Rpc.InvokeWithParameterObjectAsync<JToken>(
                RequestPermissionMethod,
                new JObject { ["sessionId"] = session.SessionId, ["toolCall"] = toolCall, ["options"] = (leavingPlan ? ExitPlanOptions : PermissionOptions).DeepClone() },
                CancellationToken.None).WaitAsync(unanswerable.Token);
            optionId = (string?)answer?["outcome"]?["outcome"] == "selected" && answer["outcome"]?["optionId"] is JValue { Type: JTokenType.String } selected ? (string?)selected : null;
        }
        catch (Exception exception) when (exception is RemoteRpcException or ConnectionLostException or OperationCanceledException or ObjectDisposedException)
        {
            host.Log.Info($"No permission from the client for {request.ToolName} ({exception.GetType().Name}): denied.");
            return PermissionDecision.Deny("The user did not allow this tool.");
        }

        if (leavingPlan)
        {
            return optionId is "acceptEdits" or AcpModes.Default
                ? new PermissionDecision(true, SetMode: optionId)
                : PermissionDecision.Deny(optionId is null ? "The permission request was cancelled." : "The user wants to keep planning.");
        }

        switch (optionId)
        {
            case AllowAlways:
                session.AlwaysDecided[request.ToolName] = true;
                return new PermissionDecision(true);
            case AllowOnce:
                return new PermissionDecision(true);
            case RejectAlways:
                session.AlwaysDecided[request.ToolName] = false;
                return PermissionDecision.Deny("The user rejected this tool.");
            default:
                return PermissionDecision.Deny(optionId is null ? "The permission request was cancelled." : "The user rejected this tool.");
        }
    }

    /// <summary>
    /// Tells the client the session's mode and options as they are now (<c>current_mode_update</c>, then
    /// <c>config_option_update</c>): the mode is both a mode and a config option, so a change of either changes both.
    /// </summary>
    public static async Task NotifyModeAndOptionsAsync(SidecarHost host, AcpSession session)
    {
        await NotifyAsync(host, session.SessionId, new JObject { ["sessionUpdate"] = "current_mode_update", ["currentModeId"] = session.ModeId });
        await NotifyAsync(host, session.SessionId, new JObject { ["sessionUpdate"] = "config_option_update", ["configOptions"] = AcpConfigOptions.Of(session) });
    }

    public static Task NotifyAsync(SidecarHost host, string sessionId, JObject update) =>
        host.Rpc.NotifyWithParameterObjectAsync(AcpUpdates.Method, new JObject { ["sessionId"] = sessionId, ["update"] = update });
}
