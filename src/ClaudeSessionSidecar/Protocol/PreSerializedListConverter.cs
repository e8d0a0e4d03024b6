using System.Collections;
using System.Globalization;
using ClaudeSessionSidecar.Methods.Session;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>
/// Writes a listing's sessions (<c>session/list</c>, <c>session/listResumable</c>) as JSON text handed on whole (a
/// <c>JRaw</c>): the formatter turns a result into a token tree before writing it, which cost about 28 µs a session,
/// most of a warm listing of thousands. Each session is still written by the same serializer, with the same
/// contracts and converters, so the answer is the one the tree gave.
/// </summary>
public sealed class PreSerializedListConverter : JsonConverter
{
    public override bool CanRead => false;

    public override bool CanConvert(Type objectType) =>
        typeof(IEnumerable<SessionViewDto>).IsAssignableFrom(objectType) || typeof(IEnumerable<ResumableSessionDto>).IsAssignableFrom(objectType);

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var json = new JsonTextWriter(text))
        {
            json.WriteStartArray();
            foreach (var session in (IEnumerable)value)
            {
                serializer.Serialize(json, session);
            }

            json.WriteEndArray();
        }

        writer.WriteRawValue(text.ToString());
    }

    public override object ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) =>
        throw new NotSupportedException("Listings are only written.");
}
