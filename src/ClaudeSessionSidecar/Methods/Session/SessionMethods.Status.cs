using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class StatusParams
{
    public string? SessionId { get; set; }

    /// <summary>Where to look for a session this server never made.</summary>
    public string? WorkingDirectory { get; set; }

    public string? UserId { get; set; }
}

public sealed partial class SessionMethods
{
    public const string Status = "session/status";

    /// <summary>Whether the CLI would resume the session, and if not, why.</summary>
    [JsonRpcMethod(Status, UseSingleObjectParameterDeserialization = true)]
    public Task<SessionStatusDto> StatusAsync(JToken? parameters = null, CancellationToken cancellationToken = default)
    {
        var p = ParamsReader.Read<StatusParams>(parameters);
        var sessionId = Require.SessionId(p.SessionId);
        var workingDirectory = Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory");
        var userId = UserIdOrDefault(p.UserId);
        return Task.Run(() => SessionStatusDto.From(Sessions.Catalog.GetStatus(sessionId, userId, workingDirectory)), cancellationToken);
    }
}
