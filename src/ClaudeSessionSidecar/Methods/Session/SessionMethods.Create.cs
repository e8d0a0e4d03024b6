using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class CreateParams
{
    public string? WorkingDirectory { get; set; }

    public string? Prompt { get; set; }

    public string? UserId { get; set; }

    public string? Model { get; set; }

    public string? PermissionMode { get; set; }

    /// <summary>Also forward the CLI's partial chunks (<c>stream_event</c> messages) as they stream.</summary>
    public bool? IncludePartialMessages { get; set; }

    public string? Title { get; set; }

    /// <summary>"interactive" or "programmatic" for this session alone; absent: the connection's (see initialize).</summary>
    public string? Entrypoint { get; set; }
}

public sealed class CreateResult
{
    public required string SessionId { get; init; }

    public required string UserId { get; init; }

    public required string WorkingDirectory { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string Title { get; init; }

    public required SessionStatusDto Status { get; init; }

    public required TurnResultDto Result { get; init; }

    /// <summary>With a PostgreSQL store: whether the turn reached it (false: it will, once the database is back). Absent otherwise.</summary>
    public bool? Mirrored { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Create = "session/create";

    /// <summary>Starts a session with a first turn; its id reaches the client in the first <c>session/message</c>.</summary>
    public async Task<CreateResult> CreateAsync(CreateParams p, CancellationToken cancellationToken)
    {
        var request = new CreateSessionRequest(
            WorkingDirectory: Require.AbsolutePath(p.WorkingDirectory, "workingDirectory"),
            Prompt: p.Prompt is null ? SessionTurns.DefaultPrompt : Require.Text(p.Prompt, "prompt"),
            UserId: UserIdOrDefault(p.UserId),
            Model: Require.OptionalToken(p.Model, "model"),
            PermissionMode: Require.OneOf(p.PermissionMode, "permissionMode", PermissionModes),
            Title: p.Title is null ? null : Require.Title(p.Title, "title", MaxTitleLength),
            IncludePartialMessages: p.IncludePartialMessages ?? false,
            Entrypoint: host.EntrypointFor(SessionEntrypoint.ParseKind(Require.OneOf(p.Entrypoint, "entrypoint", SessionEntrypoint.KindNames))).Name);

        var turn = await host.RunTurnAsync(token => Sessions.Turns.CreateAsync(request, Notifier, token), cancellationToken);
        return new CreateResult
        {
            SessionId = turn.SessionId,
            UserId = request.UserId,
            WorkingDirectory = request.WorkingDirectory,
            CreatedAt = turn.Record?.CreatedAt ?? DateTimeOffset.UtcNow,
            Title = turn.Record?.Title ?? request.Title ?? string.Empty,
            Status = SessionStatusDto.From(turn.Status),
            Result = TurnResultDto.From(turn.Outcome),
            Mirrored = turn.Mirrored,
        };
    }
}
