using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Methods.Session;

/// <summary><c>session/message</c>: every stream-json message of every turn, verbatim, as it arrives.</summary>
public sealed class SessionMessageNotification
{
    public const string Method = "session/message";

    public required string SessionId { get; init; }

    public required JObject Message { get; init; }
}

/// <summary>
/// A turn's link to the client: forwards its stream (awaiting each send keeps them in order, and before the
/// request's answer) and asks the client for tool permissions.
/// </summary>
/// <param name="clientInputEnded">Cancelled once the client's input has ended: no permission answer can come after it.</param>
internal sealed class NotifyingObserver(JsonRpc rpc, CancellationToken clientInputEnded, ISidecarLog log) : ITurnObserver
{
    public ValueTask OnSessionStartedAsync(string sessionId) => ValueTask.CompletedTask;

    public async ValueTask OnMessageAsync(string sessionId, JObject message) =>
        await rpc.NotifyWithParameterObjectAsync(SessionMessageNotification.Method, new SessionMessageNotification { SessionId = sessionId, Message = message });

    /// <summary>Asks with <c>session/requestPermission</c>; only an explicit <c>{allow: true}</c> allows. A client without the method denies.</summary>
    public async ValueTask<PermissionDecision> RequestPermissionAsync(string sessionId, PermissionRequest request, CancellationToken cancellationToken)
    {
        using var unanswerable = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clientInputEnded);
        try
        {
            // Waits for the answer only while one can come: a cancelled question is not held open until the client
            // acknowledges the cancel, and a client whose input has ended can answer nothing.
            var answer = await rpc.InvokeWithParameterObjectAsync<JToken>(
                RequestPermission.Method,
                new RequestPermission
                {
                    SessionId = sessionId,
                    ToolName = request.ToolName,
                    Input = request.Input,
                    ToolUseId = request.ToolUseId,
                    Description = request.Description,
                    ProposedEdit = request.ProposeEdit() is { } edit ? ProposedEditView.From(edit) : null,
                },
                unanswerable.Token).WaitAsync(unanswerable.Token);
            var allow = answer is JObject { } decision && decision["allow"]?.Type == JTokenType.Boolean && (bool)decision["allow"]!;
            return new PermissionDecision(
                allow,
                answer?["message"] is JValue { Type: JTokenType.String } message ? (string?)message : null,
                allow ? answer!["updatedInput"] as JObject : null);
        }
        catch (Exception exception) when (exception is RemoteRpcException or ConnectionLostException or OperationCanceledException or ObjectDisposedException)
        {
            log.Info($"No permission from the client for {request.ToolName} ({exception.GetType().Name}): denied.");
            return PermissionDecision.Deny("The editor did not allow this tool.");
        }
    }
}

/// <summary>Server → client request <c>session/requestPermission</c>: may this tool run? Answer <c>{allow, message?, updatedInput?}</c>.</summary>
public sealed class RequestPermission
{
    public const string Method = "session/requestPermission";

    public required string SessionId { get; init; }

    public required string ToolName { get; init; }

    public required JObject Input { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? ToolUseId { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? Description { get; init; }

    /// <summary>For Write, Edit, MultiEdit and NotebookEdit: the change the tool would make, against the file as it is now.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public ProposedEditView? ProposedEdit { get; init; }
}

/// <summary>
/// A proposed edit on the wire: the file's text now (<c>oldText</c>, null for a new file), after the edit
/// (<c>newText</c>) and the hunks between them; or only the path and why it is not shown (<c>unshown</c>).
/// </summary>
public sealed class ProposedEditView
{
    public required string Path { get; init; }

    /// <summary>Written whenever there is a change: null means a new file.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Include)]
    public string? OldText { get; init; }

    /// <summary>Newtonsoft's conditional-property convention: no <c>oldText</c> when the change is not shown.</summary>
    public bool ShouldSerializeOldText() => Unshown is null;

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? NewText { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public int? Line { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? NotebookCell { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public IReadOnlyList<DiffHunk>? Hunks { get; init; }

    /// <summary><c>outside_workspace</c>, <c>symlink</c>, <c>too_large</c>, <c>binary</c>, <c>unreadable</c> or <c>does_not_apply</c>.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public string? Unshown { get; init; }

    public static ProposedEditView From(ProposedEdit edit) => edit.Change is { } change
        ? new ProposedEditView { Path = edit.Path, OldText = change.OldText, NewText = change.NewText, Line = change.Line, NotebookCell = change.NotebookCell, Hunks = change.Hunks() }
        : new ProposedEditView { Path = edit.Path, Unshown = ToSnakeCase(edit.Unshown!.Value) };

    private static string ToSnakeCase(UnshownEdit reason) => reason switch
    {
        UnshownEdit.OutsideWorkspace => "outside_workspace",
        UnshownEdit.Symlink => "symlink",
        UnshownEdit.TooLarge => "too_large",
        UnshownEdit.Binary => "binary",
        UnshownEdit.Unreadable => "unreadable",
        _ => "does_not_apply",
    };
}
