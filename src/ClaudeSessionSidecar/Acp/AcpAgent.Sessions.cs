using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

public sealed class NewSessionParams
{
    public string? Cwd { get; set; }

    public JToken? McpServers { get; set; }
}

public sealed class OpenSessionParams
{
    public string? SessionId { get; set; }

    public string? Cwd { get; set; }

    public JToken? McpServers { get; set; }
}

public sealed class SessionIdParams
{
    public string? SessionId { get; set; }
}

public sealed class SetModeParams
{
    public string? SessionId { get; set; }

    public string? ModeId { get; set; }
}

public sealed class ListSessionsParams
{
    public string? Cwd { get; set; }

    public string? Cursor { get; set; }
}

public sealed partial class AcpAgent
{
    public const string New = "session/new";
    public const string Load = "session/load";
    public const string Resume = "session/resume";
    public const string List = "session/list";
    public const string SetMode = "session/set_mode";
    public const string Close = "session/close";
    public const string Delete = "session/delete";

    /// <summary>Sessions in one <c>session/list</c> page.</summary>
    public const int ListPageSize = 50;

    /// <summary>
    /// Answers at once with the session's id, chosen here; a spare CLI process starts with that id in the folder, so
    /// the first prompt skips the CLI's start. Nothing is written until that prompt (an unused session leaves no trace).
    /// </summary>
    [JsonRpcMethod(New, UseSingleObjectParameterDeserialization = true)]
    public async Task<JObject> NewSessionAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<NewSessionParams>(parameters);
        var cwd = Require.AbsolutePath(p.Cwd, "cwd");
        var mcpConfig = McpConfigOf(p.McpServers);
        var sessionId = Guid.NewGuid().ToString();
        await AcpErrors.TranslateAsync(() => Sessions.Turns.PrepareAsync(cwd, model: null, AcpModes.ToPermissionMode(AcpModes.Default), includePartialMessages: true, sessionId, mcpConfig));
        var session = new AcpSession(sessionId, cwd, started: false) { McpConfig = mcpConfig };
        sessions[sessionId] = session;
        return new JObject { ["sessionId"] = sessionId, ["modes"] = AcpModes.State(session.ModeId) };
    }

    /// <summary>Opens a session the CLI would resume and replays its whole conversation as <c>session/update</c>s before answering.</summary>
    [JsonRpcMethod(Load, UseSingleObjectParameterDeserialization = true)]
    public async Task<JObject> LoadSessionAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var session = OpenExisting(parameters);
        var (messages, _) = await AcpErrors.TranslateAsync(() => Task.FromResult(Sessions.Catalog.Messages(session.SessionId, host.UserId, session.WorkingDirectory, 0, null, includeSystem: false)));
        foreach (var entry in messages)
        {
            var role = (string?)entry["type"] == "user" ? "user" : "assistant";
            foreach (var update in AcpUpdates.FromContent(role, entry["message"]?["content"], includeText: true, includeThinking: true))
            {
                await AcpTurnObserver.NotifyAsync(host, session.SessionId, update);
            }
        }

        sessions[session.SessionId] = session;
        return new JObject { ["modes"] = AcpModes.State(session.ModeId) };
    }

    /// <summary>Opens a session the CLI would resume, without replaying it.</summary>
    [JsonRpcMethod(Resume, UseSingleObjectParameterDeserialization = true)]
    public Task<JObject> ResumeSessionAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var session = OpenExisting(parameters);
        sessions[session.SessionId] = session;
        return Task.FromResult(new JObject { ["modes"] = AcpModes.State(session.ModeId) });
    }

    /// <summary>
    /// Exactly the sessions the CLI would resume (the engine's verdict, external ones included), newest first, a page
    /// at a time; <c>nextCursor</c> is opaque, and a cursor this server did not give is refused with -32602.
    /// </summary>
    [JsonRpcMethod(List, UseSingleObjectParameterDeserialization = true)]
    public Task<JObject> ListSessionsAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<ListSessionsParams>(parameters, required: false);
        var cwd = Require.OptionalAbsolutePath(p.Cwd, "cwd");
        var after = p.Cursor is null ? ((long Time, string SessionId)?)null : DecodeCursor(p.Cursor);
        var resumable = RpcErrors.Translate(() => Sessions.Catalog.ListResumable(new ListResumableRequest(host.UserId, cwd, int.MaxValue, IncludeExternal: true)));
        var page = resumable
            .Where(session => after is not { } cursor || ListingCursor.IsAfter(session, cursor))
            .Take(ListPageSize + 1)
            .ToList();
        var result = new JObject
        {
            ["sessions"] = new JArray(page.Take(ListPageSize).Select(session => new JObject
            {
                ["sessionId"] = session.SessionId,
                ["cwd"] = session.WorkingDirectory ?? session.Status.WorkingDirectory,
                ["title"] = session.CustomTitle ?? session.Title,
                ["updatedAt"] = session.LastActiveAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            })),
        };
        if (page.Count > ListPageSize)
        {
            result["nextCursor"] = ListingCursor.Encode(page[ListPageSize - 1]);
        }

        return Task.FromResult(result);
    }

    /// <summary>Switches the CLI permission mode of the session's next turns (a live CLI is switched with its own control request).</summary>
    [JsonRpcMethod(SetMode, UseSingleObjectParameterDeserialization = true)]
    public Task<JObject> SetModeAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<SetModeParams>(parameters);
        var session = OpenSession(p.SessionId);
        session.ModeId = p.ModeId is { } modeId && AcpModes.IsKnown(modeId)
            ? modeId
            : throw AcpErrors.InvalidParams("modeId", $"modeId must be one of {string.Join(", ", AcpModes.Available.Select(mode => mode.Id))}.");
        return Task.FromResult(new JObject());
    }

    /// <summary>Cancels the session's running prompt, waits for it, then closes its live CLI the safe way; the session stays resumable.</summary>
    [JsonRpcMethod(Close, UseSingleObjectParameterDeserialization = true)]
    public async Task<JObject> CloseSessionAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var session = OpenSession(ParamsReader.Read<SessionIdParams>(parameters).SessionId);
        await session.CancelAndWaitAsync();
        sessions.TryRemove(session.SessionId, out _);
        await AcpErrors.TranslateAsync(async () =>
        {
            await Sessions.Turns.CloseAsync(session.SessionId);
            return true;
        });
        return new JObject();
    }

    /// <summary>Deletes the session the SDK's way (transcript and metadata), after stopping its prompt and its CLI.</summary>
    [JsonRpcMethod(Delete, UseSingleObjectParameterDeserialization = true)]
    public async Task<JObject> DeleteSessionAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var sessionId = Require.SessionId(ParamsReader.Read<SessionIdParams>(parameters).SessionId);
        if (sessions.TryRemove(sessionId, out var open))
        {
            await open.CancelAndWaitAsync();
            if (!open.Started)
            {
                // Never prompted: nothing was written; only its spare CLI is to go.
                await AcpErrors.TranslateAsync(async () =>
                {
                    await Sessions.Turns.CloseAsync(sessionId);
                    return true;
                });
                return new JObject();
            }
        }

        await AcpErrors.TranslateAsync(async () =>
        {
            await Sessions.Edits.DeleteAsync(sessionId, host.UserId, workingDirectory: null);
            return true;
        });
        return new JObject();
    }

    /// <summary>A session for <c>session/load</c> or <c>session/resume</c>: one the CLI would resume, else -32002 with the reason.</summary>
    private AcpSession OpenExisting(JToken? parameters)
    {
        var p = ParamsReader.Read<OpenSessionParams>(parameters);
        var sessionId = Require.SessionId(p.SessionId);
        var cwd = Require.AbsolutePath(p.Cwd, "cwd");
        var mcpConfig = McpConfigOf(p.McpServers);
        if (sessions.TryGetValue(sessionId, out var open))
        {
            open.McpConfig = mcpConfig;
            return open;
        }

        var status = Sessions.Catalog.GetStatus(sessionId, host.UserId, cwd);
        if (!status.Resumable)
        {
            throw AcpErrors.NotResumable(sessionId, status);
        }

        return new AcpSession(sessionId, status.WorkingDirectory ?? cwd, started: true) { McpConfig = mcpConfig };
    }

    private static (long Time, string SessionId) DecodeCursor(string cursor) =>
        ListingCursor.TryDecode(cursor) ?? throw AcpErrors.InvalidParams("cursor", "cursor is not one this server gave (use nextCursor from the previous page).");
}
