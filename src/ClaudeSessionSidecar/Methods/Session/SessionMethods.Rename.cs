using ClaudeSessionSidecar.Protocol;

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
    public RenameResult RenameSession(RenameParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var title = Require.Title(p.Title, "title", MaxTitleLength);
        return new RenameResult { SessionId = sessionId, Title = Sessions.Edits.Rename(sessionId, UserIdOrDefault(p.UserId), title) };
    }
}
