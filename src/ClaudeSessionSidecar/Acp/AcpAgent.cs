using System.Collections.Concurrent;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

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
public sealed partial class AcpAgent(AcpHost host)
{
    public const string Initialize = "initialize";

    /// <summary>The one ACP version spoken.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>The sessions open on this connection, by id.</summary>
    private readonly ConcurrentDictionary<string, AcpSession> sessions = new(StringComparer.Ordinal);

    private SessionService Sessions => host.Services;

    /// <summary>Answers the protocol version (1 whatever the client asks: the client disconnects if it cannot speak it) and what this agent does.</summary>
    [JsonRpcMethod(Initialize, UseSingleObjectParameterDeserialization = true)]
    public Task<JObject> InitializeAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<InitializeParams>(parameters);
        if (p.ProtocolVersion is null)
        {
            throw AcpErrors.InvalidParams("protocolVersion", "protocolVersion must be an integer.");
        }

        return Task.FromResult(new JObject
        {
            ["protocolVersion"] = ProtocolVersion,
            ["agentCapabilities"] = new JObject
            {
                ["loadSession"] = true,
                ["promptCapabilities"] = new JObject { ["image"] = false, ["audio"] = false, ["embeddedContext"] = false },
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
        });
    }

    private AcpSession OpenSession(string? sessionId) =>
        sessions.TryGetValue(Require.SessionId(sessionId), out var session) ? session : throw AcpErrors.SessionNotOpen(sessionId!);

    /// <summary>
    /// This face starts no MCP servers of the client's (it says so with <c>mcpCapabilities</c> false and refuses stdio
    /// ones rather than ignore them); an empty or missing list is fine.
    /// </summary>
    private static void RequireNoMcpServers(JToken? mcpServers)
    {
        if (mcpServers is not null and not JArray)
        {
            throw AcpErrors.InvalidParams("mcpServers", "mcpServers must be an array.");
        }

        if (mcpServers is JArray { Count: > 0 })
        {
            throw AcpErrors.InvalidParams("mcpServers", "This agent does not start MCP servers for a session yet: pass an empty mcpServers list, and configure MCP servers in Claude Code itself.");
        }
    }
}
