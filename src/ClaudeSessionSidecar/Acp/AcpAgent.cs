using System.Collections.Concurrent;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Transcripts;
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

    /// <summary>The client asked for Bash calls as terminals (<c>clientCapabilities._meta.terminal_output: true</c>, the anchor's opt-in).</summary>
    private bool terminalOutput;

    public void AddTo(MethodDispatcher methods)
    {
        methods.Add<InitializeParams, JObject>(Initialize, InitializeAgent);
        methods.Add<AuthenticateParams, JObject>(Authenticate, AuthenticateAsync);
        methods.Add<NewSessionParams, JObject>(New, NewSessionAsync);
        methods.Add<OpenSessionParams, JObject>(Load, LoadSessionAsync);
        methods.Add<OpenSessionParams, JObject>(Resume, ResumeSession);
        methods.Add<ListSessionsParams, JObject>(List, ListSessions, paramsOptional: true);
        methods.Add<PromptParams, JObject>(Prompt, PromptAsync);
        methods.AddNotification(Cancel, CancelPrompt);
        methods.Add<SetModeParams, JObject>(SetMode, SetSessionModeAsync);
        methods.Add<SetConfigOptionParams, JObject>(SetConfigOption, SetSessionConfigOptionAsync);
        methods.Add<SessionIdParams, JObject>(Close, CloseSessionAsync);
        methods.Add<SessionIdParams, JObject>(Delete, DeleteSessionAsync);
        methods.Add<ForkSessionParams, JObject>(Fork, ForkSession);
        methods.Add<SetTitleParams, JObject>(SetTitle, SetSessionTitle);
        methods.Add<SessionIdParams, JObject>(Archive, ArchiveSession);
        methods.Add<SessionIdParams, JObject>(Unarchive, UnarchiveSession);
        methods.Add<SessionIdParams, JObject>(Status, SessionStatus);
    }

    /// <summary>Answers the protocol version (1 whatever the client asks: the client disconnects if it cannot speak it) and what this agent does.</summary>
    public JObject InitializeAgent(InitializeParams p)
    {
        if (p.ProtocolVersion is null)
        {
            throw AcpErrors.InvalidParams("protocolVersion", "protocolVersion must be an integer.");
        }

        terminalOutput = JsonFields.IsTrue(p.ClientCapabilities?["_meta"]?["terminal_output"]);

        return new JObject
        {
            ["protocolVersion"] = ProtocolVersion,
            ["agentCapabilities"] = new JObject
            {
                ["loadSession"] = true,
                ["promptCapabilities"] = new JObject { ["image"] = true, ["audio"] = false, ["embeddedContext"] = true },
                ["mcpCapabilities"] = new JObject { ["http"] = true, ["sse"] = true },
                ["sessionCapabilities"] = new JObject
                {
                    ["list"] = new JObject(),
                    ["resume"] = new JObject(),
                    ["close"] = new JObject(),
                    ["delete"] = new JObject(),
                    ["fork"] = new JObject(),
                    ["title"] = new JObject(),
                    ["archive"] = new JObject(),
                    ["status"] = new JObject(),
                },
            },
            ["agentInfo"] = new JObject { ["name"] = SidecarHost.ServerName, ["title"] = "Claude Code (session sidecar)", ["version"] = SidecarHost.ServerVersion },
            ["authMethods"] = AuthMethodsFor(p.ClientCapabilities),
        };
    }

    private AcpSession OpenSession(string? sessionId) =>
        sessions.TryGetValue(Require.SessionId(sessionId), out var session) ? session : throw AcpErrors.SessionNotOpen(sessionId!);

    /// <summary>
    /// The client's MCP servers as the CLI's <c>--mcp-config</c> JSON (<c>{"mcpServers": {name: ...}}</c>): a stdio
    /// server as <c>{command, args, env}</c>, an http or sse one as <c>{type, url, headers}</c>; null for none.
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

            if (config.ContainsKey((string)name!))
            {
                throw AcpErrors.InvalidParams("mcpServers", $"Two MCP servers are named {ClientText.Quote((string?)name)}.");
            }

            config[(string)name!] = entry["type"] switch
            {
                null or JValue { Type: JTokenType.String, Value: "stdio" } => StdioServer(entry, (string)name!),
                JValue { Type: JTokenType.String } transport when (string?)transport is "http" or "sse" => RemoteServer(entry, (string)name!, (string)transport!),
                var transport => throw AcpErrors.InvalidParams("mcpServers", $"MCP server {ClientText.Quote((string?)name)}: the transport must be stdio (no type), http or sse, not {(transport is JValue { Type: JTokenType.String } text ? ClientText.Quote((string?)text) : "a JSON " + transport.Type)}."),
            };
        }

        return new JObject { ["mcpServers"] = config }.ToString(Newtonsoft.Json.Formatting.None);
    }

    private static JObject StdioServer(JObject entry, string name)
    {
        if (entry["command"] is not JValue { Type: JTokenType.String } command || string.IsNullOrEmpty((string?)command)
            || entry["args"] is not (null or JArray) || entry["env"] is not (null or JArray))
        {
            throw AcpErrors.InvalidParams("mcpServers", $"MCP server {ClientText.Quote(name)} needs a command, and args and env as arrays.");
        }

        var arguments = new JArray();
        foreach (var argument in entry["args"] as JArray ?? [])
        {
            arguments.Add(argument is JValue { Type: JTokenType.String } ? argument : throw AcpErrors.InvalidParams("mcpServers", $"MCP server {ClientText.Quote(name)}: args must be strings."));
        }

        return new JObject { ["command"] = command, ["args"] = arguments, ["env"] = NameValues(entry["env"], name, "env") };
    }

    /// <summary>An http or sse server; only http(s) URLs, so the CLI is never pointed at a file or another scheme.</summary>
    private static JObject RemoteServer(JObject entry, string name, string transport)
    {
        if (entry["url"] is not JValue { Type: JTokenType.String } url
            || !Uri.TryCreate((string)url!, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || entry["headers"] is not (null or JArray))
        {
            throw AcpErrors.InvalidParams("mcpServers", $"MCP server {ClientText.Quote(name)} needs an http(s) url, and headers as an array.");
        }

        return new JObject { ["type"] = transport, ["url"] = url, ["headers"] = NameValues(entry["headers"], name, "headers") };
    }

    /// <summary>ACP's <c>[{name, value}]</c> (env variables, headers) as the CLI's <c>{name: value}</c>.</summary>
    private static JObject NameValues(JToken? pairs, string server, string what)
    {
        var result = new JObject();
        foreach (var pair in pairs as JArray ?? [])
        {
            if (pair is not JObject { } item || item["name"] is not JValue { Type: JTokenType.String } key || item["value"] is not JValue { Type: JTokenType.String } value)
            {
                throw AcpErrors.InvalidParams("mcpServers", $"MCP server {ClientText.Quote(server)}: each of {what} needs a name and a value, both strings.");
            }

            result[(string)key!] = value;
        }

        return result;
    }
}
