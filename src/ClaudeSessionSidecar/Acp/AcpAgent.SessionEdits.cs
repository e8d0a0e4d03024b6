using ClaudeSessionSidecar.Engine.Resumability;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

public sealed class ForkSessionParams
{
    public string? SessionId { get; set; }

    public string? Cwd { get; set; }

    public JToken? McpServers { get; set; }
}

public sealed class SetTitleParams
{
    public string? SessionId { get; set; }

    public string? Title { get; set; }
}

/// <summary>
/// ACP's unstable session methods (<c>@agentclientprotocol/sdk</c> 2.4.0's schema), each over the engine's own edit
/// or verdict, so that a fork, a title or an archive made here is the one the SDK, the CLI and the stdio face see.
/// </summary>
public sealed partial class AcpAgent
{
    public const string Fork = "session/fork";
    public const string SetTitle = "session/set_title";
    public const string Archive = "session/archive";
    public const string Unarchive = "session/unarchive";
    public const string Status = "session/status";

    /// <summary>
    /// A new session holding a copy of the conversation (the SDK's fork: resumable by the bare CLI, listed at once),
    /// opened on this connection; the original is untouched.
    /// </summary>
    public JObject ForkSession(ForkSessionParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        Require.AbsolutePath(p.Cwd, "cwd");
        var mcpConfig = McpConfigOf(p.McpServers);
        var fork = Sessions.Edits.Fork(sessionId, host.DefaultUserId, upToMessageId: null, title: null);
        var session = new AcpSession(fork.SessionId, fork.WorkingDirectory, started: true) { McpConfig = mcpConfig };
        sessions[fork.SessionId] = session;
        return new JObject { ["sessionId"] = fork.SessionId, ["modes"] = AcpModes.State(session.ModeId), ["configOptions"] = AcpConfigOptions.Of(session) };
    }

    /// <summary>The same rename as the stdio face's: a <c>custom-title</c> line the SDK and the CLI show; answers the title stored (trimmed).</summary>
    public JObject SetSessionTitle(SetTitleParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var title = p.Title ?? throw AcpErrors.InvalidParams("title", "title must be a string.");
        return new JObject { ["title"] = Sessions.Edits.Rename(sessionId, host.DefaultUserId, title) };
    }

    /// <summary>Archives the session as the SDK does (<c>archived.json</c>); <c>session/list</c> leaves it out unless asked. Idempotent.</summary>
    public JObject ArchiveSession(SessionIdParams p)
    {
        Sessions.Edits.SetArchived(Require.SessionId(p.SessionId), host.DefaultUserId, archived: true);
        return new JObject();
    }

    public JObject UnarchiveSession(SessionIdParams p)
    {
        Sessions.Edits.SetArchived(Require.SessionId(p.SessionId), host.DefaultUserId, archived: false);
        return new JObject();
    }

    /// <summary>
    /// <c>open</c> when the session is open on this connection, else <c>saved</c>; with the engine's verdict in
    /// <c>_meta.claudeSessionSidecar</c> (<c>resumable</c>, and the <c>reason</c> when the CLI would not resume it).
    /// A session this user has neither record nor transcript of is -32002. Changes nothing.
    /// </summary>
    public JObject SessionStatus(SessionIdParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var status = Sessions.Catalog.GetStatus(sessionId, host.DefaultUserId, workingDirectory: null);
        var open = sessions.ContainsKey(sessionId);
        if (!open && status.Reason is NotResumableReason.MetadataNotFound)
        {
            throw AcpErrors.NotResumable(sessionId, status);
        }

        var verdict = new JObject { ["resumable"] = status.Resumable };
        if (status.Reason is { } reason)
        {
            verdict["reason"] = reason.ToWireName();
        }

        return new JObject { ["status"] = open ? "open" : "saved", ["_meta"] = new JObject { ["claudeSessionSidecar"] = verdict } };
    }
}
