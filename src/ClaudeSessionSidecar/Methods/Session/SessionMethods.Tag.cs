using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class TagParams
{
    public string? SessionId { get; set; }

    /// <summary>The tag, or null to clear it. Required: leaving it out is an error, not a clear.</summary>
    public JToken? Tag { get; set; }

    public string? UserId { get; set; }
}

public sealed class TagResult
{
    public required string SessionId { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Include)]
    public string? Tag { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Tag = "session/tag";

    public const int MaxTagLength = 200;

    /// <summary>Tags a session (a <c>tag</c> line, as the SDK's tagSession writes it); <c>tag: null</c> clears it.</summary>
    public TagResult SetTag(TagParams p)
    {
        var sessionId = Require.SessionId(p.SessionId);
        string? tag = p.Tag switch
        {
            null => throw RpcErrors.InvalidParams("tag", "tag is required: a string, or null to clear the tag."),
            { Type: JTokenType.Null } => null,
            JValue { Type: JTokenType.String } text when ((string)text!).Length > 0 && ClientText.CodePoints((string)text!) <= MaxTagLength => (string)text!,
            _ => throw RpcErrors.InvalidParams("tag", $"tag must be a string of 1 to {MaxTagLength} characters (code points), or null."),
        };
        return new TagResult { SessionId = sessionId, Tag = Sessions.Edits.Tag(sessionId, UserIdOrDefault(p.UserId), tag) };
    }
}
