using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>One message's words as a person reads them in the conversation: a prompt, or the model's text reply.</summary>
public sealed record ConversationMessageText(string Uuid, string Type, string? Timestamp, string Text);

/// <summary>
/// The text of a conversation as <c>session/messages</c> shows it (the <see cref="ConversationChain"/>, user and
/// assistant messages, no meta or sidechain lines): each prompt's text and each reply's text blocks. Tool inputs and
/// results, thinking, attachments and the CLI's bookkeeping lines carry none.
/// </summary>
public static class ConversationText
{
    /// <summary>The conversation's texts of a transcript file (<see cref="ConversationTextReader"/>: the same answer, without a JObject per line).</summary>
    public static IReadOnlyList<ConversationMessageText> Read(string path) => ConversationTextReader.Read(path);

    /// <summary>As <see cref="Read"/>, through <see cref="ConversationChain"/>'s JObjects: what the faster reader is held to.</summary>
    internal static IReadOnlyList<ConversationMessageText> ReadSlowly(string path) => Of(ConversationChain.Read(path));

    /// <summary>As <see cref="Read"/>, from a transcript's lines (the PostgreSQL store's copy of it).</summary>
    public static IReadOnlyList<ConversationMessageText> FromLines(IEnumerable<string> lines) => Of(ConversationChain.Build(ConversationChain.Entries(lines)));

    private static List<ConversationMessageText> Of(IReadOnlyList<JObject> chain)
    {
        var messages = new List<ConversationMessageText>();
        foreach (var entry in chain)
        {
            if (ConversationChain.IsShown(entry, includeSystem: false) && TextOf(entry["message"]?["content"]) is { Length: > 0 } text)
            {
                messages.Add(new ConversationMessageText((string)entry["uuid"]!, (string)entry["type"]!, entry["timestamp"] is JValue { Type: JTokenType.String } time ? (string?)time : null, text));
            }
        }

        return messages;
    }

    /// <summary>A string content, or the <c>text</c> blocks of a content array joined by new lines.</summary>
    internal static string? TextOf(JToken? content) => content switch
    {
        JValue { Type: JTokenType.String } text => (string?)text,
        JArray blocks => string.Join('\n', blocks.OfType<JObject>()
            .Where(block => (string?)block["type"] == "text" && block["text"]?.Type == JTokenType.String)
            .Select(block => (string)block["text"]!)),
        _ => null,
    };
}
