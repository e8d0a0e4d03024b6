
namespace ClaudeSessionSidecar.Protocol;

/// <summary>The server's JSON-RPC error codes (stdio-protocol.md, "Errors"). Stable: clients switch on them.</summary>
/// <remarks>
/// The server's own codes are -31001..-31099: outside JSON-RPC 2.0's reserved -32768..-32000, where StreamJsonRpc,
/// LSP and ACP each give codes meanings of their own (StreamJsonRpc reads -32003 as a serialization failure and
/// -32004's data as an exception).
/// </remarks>
public static class ErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>The session cannot be resumed; <c>data.reason</c> says why.</summary>
    public const int NotResumable = -31001;

    /// <summary>The CLI failed: <c>data</c> has exitCode, stderr, errors.</summary>
    public const int CliFailed = -31002;

    /// <summary>The CLI executable was not found or could not be started.</summary>
    public const int CliNotFound = -31003;

    /// <summary>Another turn is running on the session.</summary>
    public const int SessionBusy = -31004;

    /// <summary>A method that works on an existing session named one this user has not got.</summary>
    public const int SessionNotFound = -31005;

    /// <summary>The PostgreSQL store cannot be reached, or its schema is newer than the server's; nothing was run.</summary>
    public const int StoreUnavailable = -31006;
}
