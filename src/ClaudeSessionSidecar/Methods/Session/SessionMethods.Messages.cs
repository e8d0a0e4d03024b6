using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class MessagesParams
{
    public string? SessionId { get; set; }

    public string? WorkingDirectory { get; set; }

    public string? UserId { get; set; }

    public int? Limit { get; set; }

    public int? Offset { get; set; }

    public bool? IncludeSystem { get; set; }
}

public sealed class MessagesResult
{
    public required IReadOnlyList<ConversationMessageDto> Messages { get; init; }

    /// <summary>How many messages the whole conversation has (for paging).</summary>
    public int Total { get; init; }
}

/// <summary>One message: <c>{uuid, type, timestamp, message}</c>, <c>message</c> being the transcript's verbatim.</summary>
public sealed class ConversationMessageDto
{
    public required string Uuid { get; init; }

    public required string Type { get; init; }

    public string? Timestamp { get; init; }

    public JToken? Message { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Messages = "session/messages";

    /// <summary>The conversation in order, following the <c>parentUuid</c> chain (as the CLI resumes it), not the file's line order.</summary>
    public MessagesResult GetMessages(MessagesParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        var workingDirectory = Require.OptionalAbsolutePath(p.WorkingDirectory, "workingDirectory");
        var userId = UserIdOrDefault(p.UserId);
        var offset = Require.Range(p.Offset, "offset", 0, 0, int.MaxValue);
        int? limit = p.Limit is null ? null : Require.Range(p.Limit, "limit", 0, 1, 100_000);
        var includeSystem = p.IncludeSystem ?? false;
        var (messages, total) = Sessions.Catalog.Messages(sessionId, userId, workingDirectory, offset, limit, includeSystem);
        return new MessagesResult
        {
            Total = total,
            Messages = messages.Select(entry => new ConversationMessageDto
            {
                Uuid = (string)entry["uuid"]!,
                Type = (string)entry["type"]!,
                Timestamp = (string?)entry["timestamp"],
                Message = entry["message"] ?? entry["content"],
            }).ToList(),
        };
    }
}
