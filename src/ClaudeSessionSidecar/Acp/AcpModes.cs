using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

/// <summary>The session modes an ACP client can pick: the CLI's permission modes (switched in a live CLI with its own control request).</summary>
internal static class AcpModes
{
    public const string Default = "default";

    /// <summary>Id, name, description. <c>bypassPermissions</c> only when not root: the CLI refuses it for root.</summary>
    public static readonly IReadOnlyList<(string Id, string Name, string Description)> Available =
    [
        (Default, "Default", "Ask before tools that change things"),
        ("acceptEdits", "Accept edits", "Allow file edits without asking"),
        ("plan", "Plan", "Plan only: no changes, no commands"),
        ("dontAsk", "Don't ask", "Deny what would need asking"),
        .. Environment.IsPrivilegedProcess ? [] : new[] { ("bypassPermissions", "Bypass permissions", "Run every tool without asking") },
    ];

    public static bool IsKnown(string modeId) => Available.Any(mode => mode.Id == modeId);

    /// <summary>The engine's permission mode for a mode id: null for the CLI's default (a process started without the flag).</summary>
    public static string? ToPermissionMode(string modeId) => modeId == Default ? null : modeId;

    public static JObject State(string currentModeId) => new()
    {
        ["currentModeId"] = currentModeId,
        ["availableModes"] = new JArray(Available.Select(mode => new JObject { ["id"] = mode.Id, ["name"] = mode.Name, ["description"] = mode.Description })),
    };
}
