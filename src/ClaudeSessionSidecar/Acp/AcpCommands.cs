using ClaudeSessionSidecar.Engine.Cli;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

/// <summary>
/// The CLI's slash commands as ACP's <c>available_commands_update</c>, named as the anchor (claude-agent-acp) names
/// them: an MCP prompt, which the CLI calls <c>NAME (MCP)</c>, is <c>mcp:NAME</c>, and a prompt that starts with
/// <c>/mcp:NAME</c> reaches the CLI as <c>/NAME (MCP)</c>.
/// </summary>
internal static class AcpCommands
{
    private const string McpSuffix = " (MCP)";
    private const string McpPrefix = "mcp:";

    /// <summary>Commands that print to a terminal in the CLI and do nothing useful through a stream (the anchor leaves the same out).</summary>
    private static readonly HashSet<string> Unsupported = new(["context", "cost", "login", "logout", "output-style:new", "release-notes", "todos"], StringComparer.Ordinal);

    public static JObject Update(CliCapabilities capabilities) => new()
    {
        ["sessionUpdate"] = "available_commands_update",
        ["availableCommands"] = new JArray(capabilities.Commands
            .Where(command => !Unsupported.Contains(command.Name) && !command.Name.StartsWith("__", StringComparison.Ordinal))
            .Select(command => new JObject
            {
                ["name"] = command.Name.EndsWith(McpSuffix, StringComparison.Ordinal) ? McpPrefix + command.Name[..^McpSuffix.Length] : command.Name,
                ["description"] = command.Description,
                ["input"] = command.ArgumentHint.Length > 0 ? new JObject { ["hint"] = command.ArgumentHint } : null,
            })),
    };

    /// <summary>A prompt as the CLI takes it: <c>/mcp:NAME args</c> becomes <c>/NAME (MCP) args</c>; any other text is unchanged.</summary>
    public static string ToCliPrompt(string text)
    {
        if (!text.StartsWith("/" + McpPrefix, StringComparison.Ordinal))
        {
            return text;
        }

        var nameEnd = text.IndexOfAny([' ', '\n'], 1);
        var name = nameEnd < 0 ? text[(1 + McpPrefix.Length)..] : text[(1 + McpPrefix.Length)..nameEnd];
        return name.Length == 0 ? text : "/" + name + McpSuffix + (nameEnd < 0 ? string.Empty : text[nameEnd..]);
    }
}
