namespace ClaudeSessionSidecar.Protocol;

/// <summary>The server's JSON-RPC error codes (stdio-protocol.md, "Errors"). Stable: clients switch on them.</summary>
public static class ErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>The session cannot be resumed; <c>data.reason</c> says why.</summary>
    public const int NotResumable = -32001;

    /// <summary>The CLI failed: <c>data</c> has exitCode, stderr, errors.</summary>
    public const int CliFailed = -32002;

    /// <summary>The CLI executable was not found or could not be started.</summary>
    public const int CliNotFound = -32003;

    /// <summary>Another turn is running on the session.</summary>
    public const int SessionBusy = -32004;

    /// <summary>A method that works on an existing session named one this user has not got.</summary>
    public const int SessionNotFound = -32005;
}
