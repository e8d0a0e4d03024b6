using ClaudeSessionSidecar.Protocol;

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
    public async Task<DeleteResult> DeleteAsync(DeleteParams p, CancellationToken cancellationToken)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var workingDirectory = Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory");
        var userId = UserIdOrDefault(p.UserId);
        await Task.Run(() => Sessions.Edits.DeleteAsync(sessionId, userId, workingDirectory), CancellationToken.None);
        return new DeleteResult { SessionId = sessionId, Deleted = true };
    }
}
