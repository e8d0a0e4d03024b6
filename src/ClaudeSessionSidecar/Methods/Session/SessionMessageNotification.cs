using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Methods.Session;

/// <summary><c>session/message</c>: every stream-json message of every turn, verbatim, as it arrives.</summary>
public sealed class SessionMessageNotification
{
    public const string Method = "session/message";

    public required string SessionId { get; init; }

    public required JObject Message { get; init; }
}

/// <summary>
/// A turn's link to the client: forwards its stream (awaiting each send keeps them in order, and before the
/// request's answer) and asks the client for tool permissions.
/// </summary>
/// <param name="clientInputEnded">Cancelled once the client's input has ended: no permission answer can come after it.</param>
internal sealed class NotifyingObserver(JsonRpc rpc, CancellationToken clientInputEnded, ISidecarLog log) : ITurnObserver
{
    public ValueTask OnSessionStartedAsync(string sessionId) => ValueTask.CompletedTask;

    public async ValueTask OnMessageAsync(string sessionId, JObject message) =>
        await rpc.NotifyWithParameterObjectAsync(SessionMessageNotification.Method, new SessionMessageNotification { SessionId = sessionId, Message = message });

    /// <summary>Asks with <c>session/requestPermission</c>; only an explicit <c>{allow: true}</c> allows. A client without the method denies.</summary>
    public async ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken)
    {
        using var unanswerable = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clientInputEnded);
        try
        {
            // Waits for the answer only while one can come: a cancelled question is not held open until the client
            // acknowledges the cancel, and a client whose input has ended can answer nothing.
            var answer = await rpc.InvokeWithParameterObjectAsync<JToken>(
                RequestPermission.Method,
                new RequestPermission { SessionId = sessionId, ToolName = request.ToolName, Input = request.Input, ToolUseId = request.ToolUseId, Description = request.Description },
                unanswerable.Token).WaitAsync(unanswerable.Token);
            var allow = answer is JObject { } decision && decision["allow"]?.Type == JTokenType.Boolean && (bool)decision["allow"]!;
            return new PermissionDecision(
                allow,
                answer?["message"] is JValue { Type: JTokenType.String } message ? (string?)message : null,
                allow ? answer!["updatedInput"] as JObject : null);
        }
        catch (Exception exception) when (exception is RemoteRpcException or ConnectionLostException or OperationCanceledException or ObjectDisposedException)
        {
            log.Info($"No permission from the client for {request.ToolName} ({exception.GetType().Name}): denied.");
            return PermissionDecision.Deny("The editor did not allow this tool.");
        }
    }
}

/// <summary>Server → client request <c>session/requestPermission</c>: may this tool run? Answer <c>{allow, message?, updatedInput?}</c>.</summary>
public sealed class RequestPermission
{
    public const string Method = "session/requestPermission";

    public required string SessionId { get; init; }

    public required string ToolName { get; init; }

    public required JObject Input { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? ToolUseId { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? Description { get; init; }
}
