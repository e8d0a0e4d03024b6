using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class ForkParams
{
    public string? SessionId { get; set; }

    /// <summary>Copy the conversation up to and including this message (a uuid from <c>session/messages</c>).</summary>
    public string? UpToMessageId { get; set; }

    /// <summary>Run a first turn on the fork with this prompt.</summary>
    public string? Prompt { get; set; }

    public string? Title { get; set; }

    public string? UserId { get; set; }
}

public sealed class ForkResult
{
    public required string SessionId { get; init; }

    public required string ForkedFrom { get; init; }

    public required string Title { get; init; }

    public required SessionStatusDto Status { get; init; }

    /// <summary>The turn's result, when a prompt was given.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Ignore)]
    public TurnResultDto? Result { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Fork = "session/fork";

    /// <summary>A new session with a copy of the conversation (the SDK's forkSession); the original is untouched. With a prompt, the fork's first turn runs too.</summary>
    public async Task<ForkResult> ForkAsync(ForkParams p, CancellationToken cancellationToken)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var upTo = p.UpToMessageId is null ? null : Require.SessionId(p.UpToMessageId, "upToMessageId");
        var prompt = p.Prompt is null ? null : Require.Text(p.Prompt, "prompt");
        var title = p.Title is null ? null : Require.Title(p.Title, "title", MaxTitleLength);
        var userId = UserIdOrDefault(p.UserId);
        if (prompt is not null)
        {
            // Refused before the copy is made: a fork whose turn would then be refused is not left behind.
            host.RefuseNewTurnsAfterShutdown();
        }

        var fork = await Task.Run(() => Sessions.Edits.Fork(sessionId, userId, upTo, title), CancellationToken.None);
        var turn = prompt is null
            ? null
            : await host.RunTurnAsync(token => Sessions.Turns.ResumeAsync(new ResumeSessionRequest(fork.SessionId, prompt, userId, Entrypoint: host.Entrypoint.Name), Notifier, token), cancellationToken);
        return new ForkResult
        {
            SessionId = fork.SessionId,
            ForkedFrom = sessionId,
            Title = fork.Title,
            Status = SessionStatusDto.From(turn?.Status ?? Sessions.Catalog.GetStatus(fork.SessionId, userId, workingDirectory: null)),
            Result = turn is null ? null : TurnResultDto.From(turn.Outcome),
        };
    }
}
