using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

/// <summary>The engine's expected failures as ACP errors: the project's codes and reasons, with ACP's own code for a session not found.</summary>
internal static class AcpErrors
{
    /// <summary>ACP's "resource not found".</summary>
    public const int ResourceNotFound = -32002;

    /// <summary>Runs an engine call; a session not found or not resumable becomes -32002 with <c>data.reason</c> (the project's reasons).</summary>
    public static async Task<T> TranslateAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await RpcErrors.TranslateAsync(call);
        }
        catch (LocalRpcException error) when (error.ErrorCode is ErrorCodes.NotResumable or ErrorCodes.SessionNotFound)
        {
            throw new LocalRpcException(error.Message) { ErrorCode = ResourceNotFound, ErrorData = error.ErrorData };
        }
    }

    /// <summary>The error a resume of the session gets from the engine, as ACP's "resource not found".</summary>
    public static LocalRpcException NotResumable(string sessionId, SessionStatus status)
    {
        var error = RpcErrors.Translate(new SessionNotResumableException(sessionId, status))!;
        return new LocalRpcException(error.Message) { ErrorCode = ResourceNotFound, ErrorData = error.ErrorData };
    }

    public static LocalRpcException SessionNotOpen(string sessionId) =>
        new($"Session {sessionId} is not open on this connection: create it with session/new, or open it with session/load or session/resume.")
        {
            ErrorCode = ResourceNotFound,
            ErrorData = new ErrorData { Reason = "session_not_open", SessionId = sessionId },
        };

    public static LocalRpcException InvalidParams(string parameter, string message) => RpcErrors.InvalidParams(parameter, message);
}
