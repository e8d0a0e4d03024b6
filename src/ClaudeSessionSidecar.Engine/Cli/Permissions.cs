using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>The CLI asks whether a tool may run (a <c>can_use_tool</c> control request, with <c>--permission-prompt-tool stdio</c>).</summary>
public sealed record PermissionRequest(string ToolName, JObject Input, string? ToolUseId, string? Description, JObject Raw)
{
    /// <summary>The session's working directory: a proposed edit is shown only for a file inside it.</summary>
    public string WorkingDirectory { get; init; } = string.Empty;

    /// <summary>
    /// For a file-editing tool, the change it would make to the file as it is now (<see cref="ToolEdits.Propose"/>),
    /// read when a face asks for it (not every face shows it).
    /// </summary>
    public ProposedEdit? ProposeEdit() => WorkingDirectory.Length == 0 ? null : ToolEdits.Propose(ToolName, Input, WorkingDirectory);
}

/// <summary>The host's answer. Anything but an explicit allow is a deny.</summary>
/// <param name="SetMode">With an allow: the permission mode the CLI switches to (a <c>setMode</c> permission update, as the
/// SDK sends when a person leaves plan mode for a mode they pick).</param>
public sealed record PermissionDecision(bool Allow, string? Message = null, JObject? UpdatedInput = null, string? SetMode = null)
{
    public static PermissionDecision Deny(string message) => new(false, message);
}
