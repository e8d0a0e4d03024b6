using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class ArchiveParams
{
    public string? SessionId { get; set; }

    public string? UserId { get; set; }
}

public sealed class ArchiveResult
{
    public required string SessionId { get; init; }

    public bool Archived { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Archive = "session/archive";
    public const string Unarchive = "session/unarchive";

    /// <summary>Hides the session from <c>session/list</c> (unless includeArchived), as the SDK archives: <c>archived.json</c> beside the transcript.</summary>
    [JsonRpcMethod(Archive, UseSingleObjectParameterDeserialization = true)]
    public Task<ArchiveResult> ArchiveAsync(JToken? parameters = null, CancellationToken cancellationToken = default) =>
        SetArchivedAsync(parameters, archived: true, cancellationToken);

    [JsonRpcMethod(Unarchive, UseSingleObjectParameterDeserialization = true)]
    public Task<ArchiveResult> UnarchiveAsync(JToken? parameters = null, CancellationToken cancellationToken = default) =>
        SetArchivedAsync(parameters, archived: false, cancellationToken);

    private Task<ArchiveResult> SetArchivedAsync(JToken? parameters, bool archived, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Read<ArchiveParams>(parameters);
        var sessionId = Require.SessionId(p.SessionId);
        var userId = UserIdOrDefault(p.UserId);
        return Task.Run(
            () => RpcErrors.Translate(() =>
            {
                Sessions.Edits.SetArchived(sessionId, userId, archived);
                return new ArchiveResult { SessionId = sessionId, Archived = archived };
            }),
            cancellationToken);
    }
}
