using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class RenameParams
{
    public string? SessionId { get; set; }

    public string? Title { get; set; }

    public string? UserId { get; set; }
}

public sealed class RenameResult
{
    public required string SessionId { get; init; }

    /// <summary>The title as stored (trimmed).</summary>
    public required string Title { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Rename = "session/rename";

    public const int MaxTitleLength = 1000;

    /// <summary>Sets the title: a <c>custom-title</c> line in the transcript (as the SDK's renameSession writes it) and the store's title.</summary>
    [JsonRpcMethod(Rename, UseSingleObjectParameterDeserialization = true)]
    public Task<RenameResult> RenameAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<RenameParams>(parameters);
        var sessionId = Require.SessionId(p.SessionId);
        var title = Require.Title(p.Title, "title", MaxTitleLength);

        var userId = UserIdOrDefault(p.UserId);
        return Task.Run(() => RpcErrors.Translate(() => new RenameResult { SessionId = sessionId, Title = Sessions.Edits.Rename(sessionId, userId, title) }), cancellationToken);
    }
}
