using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class DeleteParams
{
    public string? SessionId { get; set; }

    public string? WorkingDirectory { get; set; }

    public string? UserId { get; set; }
}

public sealed class DeleteResult
{
    public required string SessionId { get; init; }

    public bool Deleted { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Delete = "session/delete";

    /// <summary>Removes the transcript, the session's folder and its metadata; -31004 while a turn runs on it.</summary>
    [JsonRpcMethod(Delete, UseSingleObjectParameterDeserialization = true)]
    public Task<DeleteResult> DeleteAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<DeleteParams>(parameters);
        var sessionId = Require.SessionId(p.SessionId);
        var workingDirectory = Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory");
        var userId = UserIdOrDefault(p.UserId);
        return RpcErrors.TranslateAsync(async () =>
        {
            await Task.Run(() => Sessions.Edits.DeleteAsync(sessionId, userId, workingDirectory), cancellationToken);
            return new DeleteResult { SessionId = sessionId, Deleted = true };
        });
    }
}
