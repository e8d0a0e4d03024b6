using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class ResumeParams
{
    public string? SessionId { get; set; }

    public string? Prompt { get; set; }

    public string? UserId { get; set; }

    /// <summary>Where to resume a session the server did not make, as <c>session/status</c> takes it; default: where its transcript says.</summary>
    public string? WorkingDirectory { get; set; }

    public string? Model { get; set; }

    public string? PermissionMode { get; set; }

    /// <summary>Also forward the CLI's partial chunks (<c>stream_event</c> messages) as they stream.</summary>
    public bool? IncludePartialMessages { get; set; }
}

public sealed class ResumeResult
{
    public required string SessionId { get; init; }

    public required SessionStatusDto Status { get; init; }

    public required TurnResultDto Result { get; init; }

    /// <summary>With a PostgreSQL store: whether the turn reached it (false: it will, once the database is back). Absent otherwise.</summary>
    public bool? Mirrored { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Resume = "session/resume";

    /// <summary>One more turn on a session; -31001 without running the CLI when it would not resume.</summary>
    public async Task<ResumeResult> ResumeAsync(ResumeParams p, CancellationToken cancellationToken)
    {
        var request = new ResumeSessionRequest(
            SessionId: Require.SessionId(p.SessionId),
            Prompt: Require.Text(p.Prompt, "prompt"),
            UserId: UserIdOrDefault(p.UserId),
            Model: Require.OptionalToken(p.Model, "model"),
            PermissionMode: Require.OneOf(p.PermissionMode, "permissionMode", PermissionModes),
            IncludePartialMessages: p.IncludePartialMessages ?? false,
            Entrypoint: host.Entrypoint.Name,
            WorkingDirectory: Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory"));

        var turn = await host.RunTurnAsync(token => Sessions.Turns.ResumeAsync(request, Notifier, token), cancellationToken);
        return new ResumeResult
        {
            SessionId = turn.SessionId,
            Status = SessionStatusDto.From(turn.Status),
            Result = TurnResultDto.From(turn.Outcome),
            Mirrored = turn.Mirrored,
        };
    }
}
