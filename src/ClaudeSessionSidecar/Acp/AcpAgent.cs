using System.Collections.Concurrent;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

public sealed class InitializeParams
{
    public int? ProtocolVersion { get; set; }

    public JToken? ClientCapabilities { get; set; }

    public JToken? ClientInfo { get; set; }
}

/// <summary>
/// The ACP agent methods, one file per group (this one: <c>initialize</c> and what they share). Each is thin over
/// <see cref="SessionService"/>: ACP sessions are this project's sessions (same store, same lock, same transcripts).
/// </summary>
public sealed partial class AcpAgent(SidecarHost host)
{
    public const string Initialize = "initialize";

    /// <summary>The one ACP version spoken.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>The sessions open on this connection, by id.</summary>
    private readonly ConcurrentDictionary<string, AcpSession> sessions = new(StringComparer.Ordinal);

    private SessionService Sessions => host.Services;

    public void AddTo(MethodDispatcher methods)
    {
        methods.Add<InitializeParams, JObject>(Initialize, InitializeAgent);
        methods.Add<NewSessionParams, JObject>(New, NewSessionAsync);
        methods.Add<OpenSessionParams, JObject>(Load, LoadSessionAsync);
        methods.Add<OpenSessionParams, JObject>(Resume, ResumeSession);
        methods.Add<ListSessionsParams, JObject>(List, ListSessions, paramsOptional: true);
        methods.Add<PromptParams, JObject>(Prompt, PromptAsync);
        methods.AddNotification(Cancel, CancelPrompt);
        methods.Add<SetModeParams, JObject>(SetMode, SetSessionMode);
        methods.Add<SessionIdParams, JObject>(Close, CloseSessionAsync);
        methods.Add<SessionIdParams, JObject>(Delete, DeleteSessionAsync);
    }

    /// <summary>Answers the protocol version (1 whatever the client asks: the client disconnects if it cannot speak it) and what this agent does.</summary>
    public JObject InitializeAgent(InitializeParams p)
    {
        if (p.ProtocolVersion is null)
        {
            throw AcpErrors.InvalidParams("protocolVersion", "protocolVersion must be an integer.");
        }

        return new JObject
        {
            ["protocolVersion"] = ProtocolVersion,
            ["agentCapabilities"] = new JObject
            {
                ["loadSession"] = true,
                ["promptCapabilities"] = new JObject { ["image"] = true, ["audio"] = false, ["embeddedContext"] = true },
                ["mcpCapabilities"] = new JObject { ["http"] = false, ["sse"] = false },
                ["sessionCapabilities"] = new JObject
                {
                    ["list"] = new JObject(),
                    ["resume"] = new JObject(),
                    ["close"] = new JObject(),
                    ["delete"] = new JObject(),
                },
            },
            ["agentInfo"] = new JObject { ["name"] = SidecarHost.ServerName, ["title"] = "Claude Code (session sidecar)", ["version"] = SidecarHost.ServerVersion },
            ["authMethods"] = new JArray(),
        };
    }

    private AcpSession OpenSession(string? sessionId) =>
        sessions.TryGetValue(Require.SessionId(sessionId), out var session) ? session : throw AcpErrors.SessionNotOpen(sessionId!);

    /// <summary>
    /// The client's MCP servers as the CLI's <c>--mcp-config</c> JSON (<c>{"mcpServers": {name: {command, args, env}}}</c>);
    /// null for none. Stdio servers only, as <c>mcpCapabilities</c> says: an http or sse one is refused with -32602.
    /// </summary>
    private static string? McpConfigOf(JToken? mcpServers)
    {
        if (mcpServers is null || mcpServers.Type == JTokenType.Null || mcpServers is JArray { Count: 0 })
        {
            return null;
        }

        if (mcpServers is not JArray servers)
        {
            throw AcpErrors.InvalidParams("mcpServers", "mcpServers must be an array.");
        }

        var config = new JObject();
        foreach (var server in servers)
        {
            if (server is not JObject { } entry || entry["name"] is not JValue { Type: JTokenType.String } name || string.IsNullOrEmpty((string?)name))
            {
                throw AcpErrors.InvalidParams("mcpServers", "Each MCP server needs a name.");
            }

            if (entry["type"] is JValue { Type: JTokenType.String } transport)
            {
                throw AcpErrors.InvalidParams("mcpServers", $"MCP server '{name}': this agent starts stdio MCP servers only, not {transport} ones (mcpCapabilities says so).");
            }

            if (entry["command"] is not JValue { Type: JTokenType.String } command || string.IsNullOrEmpty((string?)command)
                || entry["args"] is not (null or JArray) || entry["env"] is not (null or JArray))
            {
                throw AcpErrors.InvalidParams("mcpServers", $"MCP server '{name}' needs a command, and args and env as arrays.");
            }

            if (config.ContainsKey((string)name!))
            {
                throw AcpErrors.InvalidParams("mcpServers", $"Two MCP servers are named '{name}'.");
            }

            var arguments = new JArray();
            foreach (var argument in entry["args"] as JArray ?? [])
            {
                arguments.Add(argument is JValue { Type: JTokenType.String } ? argument : throw AcpErrors.InvalidParams("mcpServers", $"MCP server '{name}': args must be strings."));
            }

            var environment = new JObject();
            foreach (var variable in entry["env"] as JArray ?? [])
            {
                environment[(string?)variable["name"] ?? throw AcpErrors.InvalidParams("mcpServers", $"MCP server '{name}': each env entry needs a name.")] =
                    variable["value"] is JValue { Type: JTokenType.String } value ? value : throw AcpErrors.InvalidParams("mcpServers", $"MCP server '{name}': env values must be strings.");
            }

            config[(string)name!] = new JObject { ["command"] = command, ["args"] = arguments, ["env"] = environment };
        }

        return new JObject { ["mcpServers"] = config }.ToString(Newtonsoft.Json.Formatting.None);
    }
}
