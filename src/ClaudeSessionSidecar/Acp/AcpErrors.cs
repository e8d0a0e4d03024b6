using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

/// <summary>The engine's expected failures as ACP errors: the project's codes and reasons, with ACP's own code for a session not found.</summary>
internal static class AcpErrors
{
    /// <summary>ACP's "authentication required".</summary>
    public const int AuthenticationRequiredCode = -32000;

    /// <summary>ACP's "resource not found".</summary>
    public const int ResourceNotFound = -32002;

    /// <summary>
    /// The ACP face's translation for <see cref="Hosting.MethodDispatcher"/>: the stdio face's, except that a session
    /// not found or not resumable is -32002 (with <c>data.reason</c>, the project's reasons). Null: not the engine's.
    /// </summary>
    public static LocalRpcException? Translate(Exception exception)
    {
        var error = exception as LocalRpcException ?? RpcErrors.Translate(exception);
        if (error?.ErrorCode is ErrorCodes.NotResumable or ErrorCodes.SessionNotFound)
        {
            return new LocalRpcException(error.Message) { ErrorCode = ResourceNotFound, ErrorData = error.ErrorData };
        }

        return error == exception ? null : error;
    }

    /// <summary>The error a resume of the session gets from the engine, as ACP's "resource not found".</summary>
    public static LocalRpcException NotResumable(string sessionId, SessionStatus status) => Translate(new SessionNotResumableException(sessionId, status))!;

    public static LocalRpcException SessionNotOpen(string sessionId) =>
        new($"Session {sessionId} is not open on this connection: create it with session/new, or open it with session/load or session/resume.")
        {
            ErrorCode = ResourceNotFound,
            ErrorData = new ErrorData { Reason = "session_not_open", SessionId = sessionId },
        };

    /// <summary>The CLI has no login: the user logs in with <c>claude</c> itself (<c>/login</c>), or sets an API key.</summary>
    /// <summary>ACP's -32000, naming the login methods offered (none: the CLI's own login, or an API key).</summary>
    public static LocalRpcException AuthenticationRequired(string what, IReadOnlyList<string> loginMethods) =>
        new($"Authentication required: {what}. Log in with one of: {(loginMethods.Count == 0 ? "`claude` (/login), or set ANTHROPIC_API_KEY for the agent" : string.Join(", ", loginMethods))}.")
        {
            ErrorCode = AuthenticationRequiredCode,
            ErrorData = new AuthRequiredErrorData { Reason = "auth_required", AuthMethods = loginMethods.Count == 0 ? null : loginMethods },
        };

    public static LocalRpcException InvalidParams(string parameter, string message) => RpcErrors.InvalidParams(parameter, message);
}

/// <summary><c>data</c> of ACP's -32000: which of <c>initialize</c>'s <c>authMethods</c> logs in.</summary>
public sealed class AuthRequiredErrorData : ErrorData
{
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public IReadOnlyList<string>? AuthMethods { get; init; }
}
