using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Acp;

public sealed class PromptParams
{
    public string? SessionId { get; set; }

    public JToken? Prompt { get; set; }
}

public sealed partial class AcpAgent
{
    public const string Prompt = "session/prompt";
    public const string Cancel = "session/cancel";

    /// <summary>
    /// Runs one turn: the first prompt of a <c>session/new</c> creates the session with its id, later ones resume it
    /// (in its live CLI when it has one). The stream goes out as <c>session/update</c>s; the answer is the stop reason.
    /// A prompt sent while another of the session runs waits for it, and then runs, in the order they came.
    /// </summary>
    public async Task<JObject> PromptAsync(PromptParams p, CancellationToken cancellationToken)
    {
        var session = OpenSession(p.SessionId);
        var (text, content) = PromptOf(p.Prompt);
        var run = await session.EnqueuePromptAsync();
        try
        {
            if (run.CancelRequested)
            {
                // Cancelled while it waited behind another prompt: it never runs.
                return StopReason("cancelled");
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run.Cancellation.Token);
            var observer = new AcpTurnObserver(host, session, terminalOutput);
            var permissionMode = AcpModes.ToPermissionMode(session.ModeId);
            var model = AcpConfigOptions.ToModel(session.ModelId);
            TurnResult turn;
            try
            {
                turn = await host.RunTurnAsync(
                    token => IsStarted(session)
                        ? Sessions.Turns.ResumeAsync(new ResumeSessionRequest(session.SessionId, text, host.DefaultUserId, Model: model, PermissionMode: permissionMode, IncludePartialMessages: true, McpConfig: session.McpConfig, PromptContent: content, Entrypoint: host.Entrypoint.Name, WorkingDirectory: session.WorkingDirectory), observer, token)
                        : Sessions.Turns.CreateAsync(new CreateSessionRequest(session.WorkingDirectory, text, host.DefaultUserId, Model: model, PermissionMode: permissionMode, IncludePartialMessages: true, SessionId: session.SessionId, McpConfig: session.McpConfig, PromptContent: content, Entrypoint: host.Entrypoint.Name), observer, token),
                    linked.Token);
            }
            catch (Exception) when (run.CancelRequested)
            {
                return StopReason("cancelled");
            }

            if (observer.AuthenticationFailure is { } failure && !run.CancelRequested)
            {
                throw LoginRequired($"the Claude Code CLI says \"{failure}\"");
            }

            foreach (var update in AcpUpdates.AfterTurn(turn, observer.LastUsage))
            {
                await AcpTurnObserver.NotifyAsync(host, session.SessionId, update);
            }

            return StopReason(run.CancelRequested || turn.Outcome.Cancelled ? "cancelled" : StopReasonOf(turn.Outcome.Result));
        }
        finally
        {
            session.EndPrompt(run);
        }
    }

    /// <summary>Stops the session's running prompt the safe way; that prompt then answers <c>cancelled</c>, and the session stays resumable.</summary>
    public void CancelPrompt(JToken? parameters)
    {
        var sessionId = NotifiedSessionId(parameters);
        if (sessionId is not null && sessions.TryGetValue(sessionId, out var session))
        {
            session.CancelPrompt();
        }
        else
        {
            host.Log.Info($"session/cancel for a session not open here ({parameters?.ToString(Newtonsoft.Json.Formatting.None)}): nothing to stop.");
        }
    }

    /// <summary>A notification has no answer to carry an error: a bad one is logged, not thrown.</summary>
    private static string? NotifiedSessionId(JToken? parameters) =>
        parameters is JObject members && members["sessionId"] is JValue { Type: JTokenType.String } id ? Engine.Identifiers.SessionId.Normalize((string?)id) : null;

    /// <summary>Whether the CLI has the session already (its first prompt ran, or it was opened), so the next prompt resumes it.</summary>
    private bool IsStarted(AcpSession session) =>
        session.Started || (session.Started = Sessions.Catalog.GetStatus(session.SessionId, host.DefaultUserId, session.WorkingDirectory).Resumable);

    private static JObject StopReason(string stopReason) => new() { ["stopReason"] = stopReason };

    /// <summary>ACP's stop reason for the CLI's <c>result</c>.</summary>
    private static string StopReasonOf(JObject? result) =>
        (string?)result?["subtype"] == "error_max_turns" ? "max_turn_requests"
        : (string?)result?["stop_reason"] switch
        {
            "max_tokens" => "max_tokens",
            "refusal" => "refusal",
            _ => "end_turn",
        };

    /// <summary>The image types the Messages API takes (and so the CLI passes on).</summary>
    private static readonly string[] ImageMimeTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"];

    /// <summary>
    /// The prompt for the CLI: its text (text blocks as they are, a resource link as <c>[@name](uri)</c>, an embedded
    /// text resource as <c>&lt;context ref="uri"&gt;</c> text, as Zed's Claude agent sends them), and, when it holds an
    /// image, the Messages API content blocks the CLI's user message carries (else null: the text is the prompt).
    /// Audio and binary resources other than images are refused with -32602, as <c>promptCapabilities</c> says.
    /// </summary>
    private static (string Text, JArray? Content) PromptOf(JToken? prompt)
    {
        if (prompt is not JArray { Count: > 0 } blocks)
        {
            throw AcpErrors.InvalidParams("prompt", "prompt must be a non-empty array of content blocks.");
        }

        var content = new JArray();
        var hasImage = false;
        foreach (var block in blocks)
        {
            var type = (string?)block["type"];
            switch (type)
            {
                case "text" when block["text"] is JValue { Type: JTokenType.String } value:
                    AddText(content, (string)value!);
                    break;
                case "resource_link" when block["uri"] is JValue { Type: JTokenType.String } uri:
                    AddText(content, $"[@{(string?)block["name"] ?? (string)uri!}]({(string)uri!})");
                    break;
                case "resource" when block["resource"] is JObject { } resource && resource["uri"] is JValue { Type: JTokenType.String } uri:
                    if (resource["text"] is JValue { Type: JTokenType.String } embedded)
                    {
                        AddText(content, $"\n<context ref=\"{(string)uri!}\">\n{(string)embedded!}\n</context>");
                    }
                    else
                    {
                        content.Add(ImageBlock(resource["blob"], resource["mimeType"], $"resource {(string)uri!}"));
                        hasImage = true;
                    }

                    break;
                case "image":
                    content.Add(ImageBlock(block["data"], block["mimeType"], "image"));
                    hasImage = true;
                    break;
                default:
                    throw AcpErrors.InvalidParams("prompt", $"This agent takes text, resource_link, resource and image content blocks, not {ClientText.Quote(type)} (or one without its required fields).");
            }
        }

        var text = string.Join("\n", content.Where(block => (string?)block["type"] == "text").Select(block => (string)block["text"]!));
        if (text.Trim().Length == 0 && !hasImage)
        {
            throw AcpErrors.InvalidParams("prompt", "prompt has no text.");
        }

        // A slash command the client picked from available_commands_update, named as the CLI knows it.
        if (content.First is JObject { } first && (string?)first["type"] == "text")
        {
            first["text"] = AcpCommands.ToCliPrompt((string)first["text"]!);
        }

        return (AcpCommands.ToCliPrompt(text), hasImage ? content : null);
    }

    /// <summary>Text blocks one after another become one, joined by a new line (as the CLI's own prompt would be).</summary>
    private static void AddText(JArray content, string text)
    {
        if (content.Last is JObject { } last && (string?)last["type"] == "text")
        {
            last["text"] = (string)last["text"]! + "\n" + text;
        }
        else
        {
            content.Add(new JObject { ["type"] = "text", ["text"] = text });
        }
    }

    /// <summary>An image as the Messages API's base64 image block; anything that is not a base64 image of a type the API takes is -32602.</summary>
    private static JObject ImageBlock(JToken? data, JToken? mimeType, string what)
    {
        if (mimeType is not JValue { Type: JTokenType.String } type || !ImageMimeTypes.Contains((string)type!))
        {
            throw AcpErrors.InvalidParams("prompt", $"The {what} must be an image of type {string.Join(", ", ImageMimeTypes)}.");
        }

        var base64 = data is JValue { Type: JTokenType.String } value ? (string)value! : string.Empty;
        if (base64.Length == 0 || !Convert.TryFromBase64String(base64, new byte[base64.Length * 3 / 4 + 3], out _))
        {
            throw AcpErrors.InvalidParams("prompt", $"The {what} must carry its data as base64.");
        }

        return new JObject
        {
            ["type"] = "image",
            ["source"] = new JObject { ["type"] = "base64", ["media_type"] = type, ["data"] = base64 },
        };
    }
}
