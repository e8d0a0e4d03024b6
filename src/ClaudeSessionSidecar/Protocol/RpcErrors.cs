using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Store;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>Turns the engine's expected failures into documented JSON-RPC errors. Anything else escaping a method is a bug (-32603).</summary>
public static class RpcErrors
{
    public static LocalRpcException InvalidParams(string parameter, string message) =>
        new(message) { ErrorCode = ErrorCodes.InvalidParams, ErrorData = new ErrorData { Reason = "invalid_params", Parameter = parameter } };

    /// <summary>The stdio face's translation for <see cref="Hosting.MethodDispatcher"/>: null for what is not one of the engine's expected failures.</summary>
    public static LocalRpcException? Translate(Exception exception) => exception switch
    {
        InvalidSessionRequestException invalid => InvalidParams(invalid.Parameter, invalid.Message),
        SessionNotResumableException notResumable => new LocalRpcException(notResumable.Message)
        {
            ErrorCode = ErrorCodes.NotResumable,
            ErrorData = new NotResumableErrorData
            {
                Reason = notResumable.Status.Reason!.Value.ToWireName(),
                SessionId = notResumable.SessionId,
                Status = SessionStatusDto.ForError(notResumable.Status),
            },
        },
        SessionNotFoundException notFound => new LocalRpcException(notFound.Message)
        {
            ErrorCode = ErrorCodes.SessionNotFound,
            ErrorData = new ErrorData { Reason = "session_not_found", SessionId = notFound.SessionId },
        },
        SessionBusyException busy => new LocalRpcException(busy.Message)
        {
            ErrorCode = ErrorCodes.SessionBusy,
            ErrorData = new ErrorData { Reason = "session_busy", SessionId = busy.SessionId },
        },
        CliNotFoundException notFound => new LocalRpcException(notFound.Message)
        {
            ErrorCode = ErrorCodes.CliNotFound,
            ErrorData = new ErrorData { Reason = "cli_not_found" },
        },
        CliFailedException failed => new LocalRpcException(failed.Message)
        {
            ErrorCode = ErrorCodes.CliFailed,
            ErrorData = new CliFailedErrorData
            {
                Reason = failed.Kind switch
                {
                    CliFailureKind.TimedOut => "turn_timeout",
                    CliFailureKind.WritesLost => "session_writes_lost",
                    CliFailureKind.ErrorBeforeInit => "cli_error_before_init",
                    _ => "cli_exited_without_result",
                },
                SessionId = failed.SessionId,
                ExitCode = failed.ExitCode,
                Stderr = failed.StderrTail,
                Errors = failed.Errors,
            },
        },
        StoreUnavailableException unavailable => new LocalRpcException(unavailable.Message)
        {
            ErrorCode = ErrorCodes.StoreUnavailable,
            ErrorData = new ErrorData { Reason = "store_unavailable" },
        },
        StoreSchemaException newer => new LocalRpcException(newer.Message)
        {
            ErrorCode = ErrorCodes.StoreUnavailable,
            ErrorData = new ErrorData { Reason = "store_schema_newer" },
        },
        IOException or UnauthorizedAccessException => new LocalRpcException($"A file could not be read or written: {ClientText.Cut(exception.Message)}")
        {
            ErrorCode = ErrorCodes.InternalError,
            ErrorData = new ErrorData { Reason = "io_error" },
        },
        _ => null,
    };
}
