using ClaudeSessionSidecar.Engine.Cli;
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

/// <summary>Forwards a turn's stream to the client. Awaiting each send keeps them in order, and before the request's answer.</summary>
internal sealed class NotifyingObserver(JsonRpc rpc) : ITurnObserver
{
    public ValueTask OnSessionStartedAsync(string sessionId) => ValueTask.CompletedTask;

    public async ValueTask OnMessageAsync(string sessionId, JObject message) =>
        await rpc.NotifyWithParameterObjectAsync(SessionMessageNotification.Method, new SessionMessageNotification { SessionId = sessionId, Message = message });
}
