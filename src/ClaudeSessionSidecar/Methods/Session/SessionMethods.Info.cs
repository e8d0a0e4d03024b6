using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class InfoParams
{
    public string? SessionId { get; set; }

    public string? WorkingDirectory { get; set; }

    public string? UserId { get; set; }
}

public sealed record InfoResult : SessionViewDto
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public InfoResult(SessionViewDto view)
        : base(view)
    {
    }

    /// <summary>The transcript's modification time.</summary>
    public DateTimeOffset? LastModified { get; init; }

    /// <summary>User and assistant messages in the conversation (what <c>session/messages</c> gives).</summary>
    public int MessageCount { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Info = "session/info";

    /// <summary>One session's summary: titles, tag, archived, branch, times, size, message count, status.</summary>
    public InfoResult GetInfo(InfoParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var workingDirectory = Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory");
        var view = Sessions.Catalog.Info(sessionId, UserIdOrDefault(p.UserId), workingDirectory) ?? throw new SessionNotFoundException(sessionId);
        return new InfoResult(SessionViewDto.From(view))
        {
            LastModified = view.FilePath is { } path && File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path)) : null,
            MessageCount = view.FilePath is { } file && File.Exists(file) ? Sessions.Catalog.MessageCount(file) : 0,
        };
    }
}
