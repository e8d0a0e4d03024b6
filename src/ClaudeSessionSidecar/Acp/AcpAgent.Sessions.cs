using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;

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

public sealed class SetConfigOptionParams
{
    public string? SessionId { get; set; }

    public string? ConfigId { get; set; }

    public string? Value { get; set; }
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

    /// <summary><c>exclude</c> (the default), <c>include</c> or <c>only</c>.</summary>
    public string? Archived { get; set; }
}

public sealed partial class AcpAgent
{
    public const string New = "session/new";
    public const string Load = "session/load";
    public const string Resume = "session/resume";
    public const string List = "session/list";
    public const string SetMode = "session/set_mode";
    public const string SetConfigOption = "session/set_config_option";
    public const string Close = "session/close";
    public const string Delete = "session/delete";

    /// <summary>Sessions in one <c>session/list</c> page.</summary>
    public const int ListPageSize = 50;

    /// <summary>
    /// Answers at once with the session's id, chosen here; a spare CLI process starts with that id in the folder, so
    /// the first prompt skips the CLI's start. Nothing is written until that prompt (an unused session leaves no trace).
    /// </summary>
    public async Task<JObject> NewSessionAsync(NewSessionParams p, CancellationToken cancellationToken)
    {
        var cwd = Require.AbsolutePath(p.Cwd, "cwd");
        var mcpConfig = McpConfigOf(p.McpServers);
        var sessionId = Guid.NewGuid().ToString();
        await Sessions.Turns.PrepareAsync(cwd, model: null, AcpModes.ToPermissionMode(AcpModes.Default), includePartialMessages: true, sessionId, mcpConfig, host.Entrypoint.Name);
        var session = new AcpSession(sessionId, cwd, started: false) { McpConfig = mcpConfig };
        sessions[sessionId] = session;
        return AnswerOpened(session, new JObject { ["sessionId"] = sessionId });
    }

    /// <summary>Opens a session the CLI would resume and replays its whole conversation as <c>session/update</c>s before answering.</summary>
    public async Task<JObject> LoadSessionAsync(OpenSessionParams p, CancellationToken cancellationToken)
    {
        var (session, messages, subagents) = await Task.Run(
            () =>
            {
                var session = OpenExisting(p);
                var messages = Sessions.Catalog.Messages(session.SessionId, host.DefaultUserId, session.WorkingDirectory, 0, null, includeSystem: false).Messages;
                return (session, messages, Sessions.Catalog.Subagents(session.SessionId, host.DefaultUserId, session.WorkingDirectory));
            },
            CancellationToken.None);
        var tools = new AcpToolCalls(liveWorkingDirectory: null, terminalOutput);
        foreach (var entry in messages)
        {
            foreach (var update in AcpUpdates.FromEntry(entry, tools, includeText: true, includeThinking: true))
            {
                await AcpTurnObserver.NotifyAsync(host, session.SessionId, update);

                // What a Task's subagent ran follows its call: the tool calls and their results, under the Task's id.
                if ((string?)update["sessionUpdate"] == "tool_call" && subagents.TryGetValue((string)update["toolCallId"]!, out var inside))
                {
                    foreach (var subagentUpdate in inside.SelectMany(subagentEntry => AcpUpdates.FromEntry(subagentEntry, tools, includeText: false, includeThinking: false)))
                    {
                        await AcpTurnObserver.NotifyAsync(host, session.SessionId, AcpUpdates.InsideTask(subagentUpdate, (string)update["toolCallId"]!));
                    }
                }
            }
        }

        sessions[session.SessionId] = session;
        return AnswerOpened(session, []);
    }

    /// <summary>Opens a session the CLI would resume, without replaying it.</summary>
    public JObject ResumeSession(OpenSessionParams p)
    {
        var session = OpenExisting(p);
        sessions[session.SessionId] = session;
        return AnswerOpened(session, []);
    }

    /// <summary>
    /// The answer of new, load and resume: the session's modes and config options, its models the CLI's own when it
    /// has reported them for the folder. Once the answer is out, the CLI's commands follow as
    /// <c>available_commands_update</c> (and, when its models were not known yet, a <c>config_option_update</c>
    /// with them): asking a CLI that has not started takes it a moment, which the answer does not wait for.
    /// </summary>
    private JObject AnswerOpened(AcpSession session, JObject answer)
    {
        var known = Sessions.Turns.KnownCapabilities(session.WorkingDirectory, session.McpConfig);
        session.Models ??= known?.Models;
        answer["modes"] = AcpModes.State(session.ModeId);
        answer["configOptions"] = AcpConfigOptions.Of(session);
        host.AfterAnswer(answer, async () =>
        {
            if (await Sessions.Turns.CapabilitiesAsync(session.WorkingDirectory, session.McpConfig) is not { } capabilities)
            {
                return;
            }

            await AcpTurnObserver.NotifyAsync(host, session.SessionId, AcpCommands.Update(capabilities));
            if (session.Models is null && capabilities.Models.Count > 0)
            {
                session.Models = capabilities.Models;
                await AcpTurnObserver.NotifyAsync(host, session.SessionId, new JObject { ["sessionUpdate"] = "config_option_update", ["configOptions"] = AcpConfigOptions.Of(session) });
            }
        });
        return answer;
    }

    /// <summary>
    /// Exactly the sessions the CLI would resume (the engine's verdict, external ones included), newest first, a page
    /// at a time (the engine's paging, as the stdio face's <c>session/list</c>); <c>nextCursor</c> is opaque and
    /// signed, and a cursor no server on the store gave for this listing is refused with -32602.
    /// </summary>
    public JObject ListSessions(ListSessionsParams p)
    {
        var cwd = Require.OptionalAbsolutePath(p.Cwd, "cwd");
        var archived = p.Archived ?? "exclude";
        if (archived is not ("exclude" or "include" or "only"))
        {
            throw AcpErrors.InvalidParams("archived", $"archived must be exclude, include or only, not {ClientText.Quote(archived)}.");
        }

        var page = Sessions.Catalog.ListResumablePage(new ListResumableRequest(host.DefaultUserId, cwd, ListPageSize, IncludeExternal: true, IncludeArchived: archived == "include", Cursor: p.Cursor)
        {
            OnlyArchived = archived == "only",
        });
        var result = new JObject
        {
            ["sessions"] = new JArray(page.Sessions.Select(session => new JObject
            {
                ["sessionId"] = session.SessionId,
                ["cwd"] = session.WorkingDirectory ?? session.Status.WorkingDirectory,
                ["title"] = session.CustomTitle ?? session.Title,
                ["updatedAt"] = AcpUpdates.Timestamp(session.LastActiveAt),
                ["archived"] = session.Archived,
            })),
        };
        if (page.NextCursor is { } next)
        {
            result["nextCursor"] = next;
        }

        return result;
    }

    /// <summary>Switches the CLI permission mode of the session's next turns (a live CLI is switched with its own control request).</summary>
    public async Task<JObject> SetSessionModeAsync(SetModeParams p, CancellationToken cancellationToken)
    {
        var session = OpenSession(p.SessionId);
        session.ModeId = p.ModeId is { } modeId && AcpModes.IsKnown(modeId)
            ? modeId
            : throw AcpErrors.InvalidParams("modeId", $"modeId must be one of {string.Join(", ", AcpModes.Available.Select(mode => mode.Id))}.");
        await AcpTurnObserver.NotifyModeAndOptionsAsync(host, session);
        return new JObject();
    }

    /// <summary>Sets the permission mode or the model of the session's next turns; answers every option with its value now.</summary>
    public async Task<JObject> SetSessionConfigOptionAsync(SetConfigOptionParams p, CancellationToken cancellationToken)
    {
        var session = OpenSession(p.SessionId);
        var value = p.Value ?? throw AcpErrors.InvalidParams("value", "value must be one of the option's values (a string).");
        switch (p.ConfigId)
        {
            case AcpConfigOptions.Mode when AcpModes.IsKnown(value):
                session.ModeId = value;
                break;
            case AcpConfigOptions.Model when AcpConfigOptions.ModelsOf(session).Any(model => model.Value == value):
                session.ModelId = value;
                break;
            case AcpConfigOptions.Mode or AcpConfigOptions.Model:
                throw AcpErrors.InvalidParams("value", $"{ClientText.Quote(value)} is not one of the values of {p.ConfigId}.");
            default:
                throw AcpErrors.InvalidParams("configId", $"configId must be {AcpConfigOptions.Mode} or {AcpConfigOptions.Model}.");
        }

        await AcpTurnObserver.NotifyModeAndOptionsAsync(host, session);
        return new JObject { ["configOptions"] = AcpConfigOptions.Of(session) };
    }

    /// <summary>Cancels the session's running prompt, waits for it, then closes its live CLI the safe way; the session stays resumable.</summary>
    public async Task<JObject> CloseSessionAsync(SessionIdParams p, CancellationToken cancellationToken)
    {
        var session = OpenSession(p.SessionId);
        await session.CancelAndWaitAsync();
        sessions.TryRemove(session.SessionId, out _);
        await Sessions.Turns.CloseAsync(session.SessionId);
        return new JObject();
    }

    /// <summary>Deletes the session the SDK's way (transcript and metadata), after stopping its prompt and its CLI.</summary>
    public async Task<JObject> DeleteSessionAsync(SessionIdParams p, CancellationToken cancellationToken)
    {
        var sessionId = Require.SessionId(p.SessionId);
        if (sessions.TryRemove(sessionId, out var open))
        {
            await open.CancelAndWaitAsync();
            if (!open.Started)
            {
                // Never prompted: nothing was written; only its spare CLI is to go.
                await Sessions.Turns.CloseAsync(sessionId);
                return new JObject();
            }
        }

        await Sessions.Edits.DeleteAsync(sessionId, host.DefaultUserId, workingDirectory: null);
        return new JObject();
    }

    /// <summary>A session for <c>session/load</c> or <c>session/resume</c>: one the CLI would resume, else -32002 with the reason.</summary>
    private AcpSession OpenExisting(OpenSessionParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var cwd = Require.AbsolutePath(p.Cwd, "cwd");
        var mcpConfig = McpConfigOf(p.McpServers);
        if (sessions.TryGetValue(sessionId, out var open))
        {
            open.McpConfig = mcpConfig;
            return open;
        }

        var status = Sessions.Catalog.GetStatus(sessionId, host.DefaultUserId, cwd);
        if (!status.Resumable)
        {
            throw AcpErrors.NotResumable(sessionId, status);
        }

        return new AcpSession(sessionId, status.WorkingDirectory ?? cwd, started: true) { McpConfig = mcpConfig };
    }
}
