using System.Text;
using System.Text.Json;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// The top-level members of one JSON line, found with <see cref="Utf8JsonReader"/> in one pass that builds no tree:
/// a line's <c>cwd</c> or <c>gitBranch</c> without parsing its 16 KB of message content into a <c>JObject</c>.
/// It answers as <see cref="TranscriptLines.TryParseObject"/> and a member lookup would (the first JSON value of the
/// line; a repeated name is its last value; what follows the object is ignored), but only for the JSON a strict reader
/// takes. <see cref="Read"/> gives null for anything else (comments, single quotes, nesting deeper than
/// <see cref="MaxDepth"/>), and <see cref="TryString"/> false for a string that is not valid UTF-16: the caller then
/// parses the line as before, so a lenient answer is never lost.
/// </summary>
internal sealed class TopLevelMembers
{
    /// <summary>Below Newtonsoft's 128 of <see cref="TranscriptLines.CreateReader"/>: deeper lines are Newtonsoft's to judge.</summary>
    private const int MaxDepth = 100;

    /// <summary>A first value that is not an object: no member, as <c>TryParseObject</c> gives no object.</summary>
    public static TopLevelMembers NotAnObject { get; } = new([], []);

    /// <summary>The bytes the line is in (its members' positions count from their start).</summary>
    private readonly byte[] text;
    private readonly List<Member> members;

    private TopLevelMembers(byte[] text, List<Member> members)
    {
        this.text = text;
        this.members = members;
    }

    public bool IsObject => !ReferenceEquals(this, NotAnObject);

    /// <summary>The members of the line at <paramref name="line"/> in <paramref name="text"/>; null when a strict reader cannot say (see the class).</summary>
    public static TopLevelMembers? Read(byte[] text, Range line)
    {
        var (start, _) = line.GetOffsetAndLength(text.Length);
        try
        {
            var reader = new Utf8JsonReader(text.AsSpan(line), new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read())
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return NotAnObject;
            }

            var members = new List<Member>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueIsEscaped ? reader.GetString() : null;
                var nameStart = start + (int)reader.TokenStartIndex + 1;
                var nameLength = reader.ValueSpan.Length;
                reader.Read();
                var type = reader.TokenType;
                var valueStart = start + (int)reader.TokenStartIndex;
                if (type is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }

                members.Add(new Member(name, nameStart, nameLength, type, valueStart, start + (int)reader.BytesConsumed - valueStart));
            }

            // Only the object's own end ends a complete object; the reader throws on anything else before it.
            return reader.TokenType == JsonTokenType.EndObject ? new TopLevelMembers(text, members) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether the object has a member of that name.</summary>
    public bool Has(string name) => Last(name) is not null;

    /// <summary>The type of the member's value (its last, for a repeated name); null when there is no such member.</summary>
    public JsonTokenType? TypeOf(string name) => Last(name)?.Type;

    /// <summary>The member's value as written (its JSON text); empty when there is no such member.</summary>
    public ReadOnlySpan<byte> Value(string name) => Last(name) is { } member ? text.AsSpan(member.ValueStart, member.ValueLength) : default;

    /// <summary>The member's value when it is a string, else null; false when the string cannot be decoded here (ask Newtonsoft).</summary>
    public bool TryString(string name, out string? value)
    {
        value = null;
        if (Last(name) is not { Type: JsonTokenType.String } member)
        {
            return true;
        }

        try
        {
            var reader = new Utf8JsonReader(text.AsSpan(member.ValueStart, member.ValueLength));
            reader.Read();
            value = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8, or an escaped lone surrogate: Newtonsoft decodes those its own way.
            return false;
        }
    }

    private Member? Last(string name)
    {
        // A member name the summary asks for is a short ASCII key: encoded on the stack, not once more on the heap per question.
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(name.Length)];
        utf8 = utf8[..Encoding.UTF8.GetBytes(name, utf8)];
        for (var i = members.Count - 1; i >= 0; i--)
        {
            var member = members[i];
            if (member.Name is { } decoded ? decoded == name : text.AsSpan(member.NameStart, member.NameLength).SequenceEqual(utf8))
            {
                return member;
            }
        }

        return null;
    }

    /// <param name="Name">The name, decoded, when it was written with escapes; else null (its bytes are the name).</param>
    /// <param name="ValueLength">The length of the value's JSON text (a string's with its quotes).</param>
    private sealed record Member(string? Name, int NameStart, int NameLength, JsonTokenType Type, int ValueStart, int ValueLength);
}
