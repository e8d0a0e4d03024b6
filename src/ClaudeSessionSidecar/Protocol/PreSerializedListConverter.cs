using System.Collections;
using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Methods.Session;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>
/// Writes a listing's sessions (<c>session/list</c>, <c>session/listResumable</c>) as JSON text handed on whole (a
/// <c>JRaw</c>). The formatter turns a result into a token tree before writing it, and asks each of its converters
/// (StreamJsonRpc's own look for progress and async-enumerable interfaces by reflection) about every value written:
/// together about 28 µs a session, most of a warm listing of thousands. The sessions are written here by a serializer
/// with the formatter's contracts and this server's own converters only, which is all a session's values need, so
/// the answer is the one the formatter gave.
/// </summary>
public sealed class PreSerializedListConverter : JsonConverter
{
    private JsonSerializer? sessionSerializer;

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

        var sessions = sessionSerializer ??= SessionSerializer(serializer);
        // About 0.8 KB a session: room up front, rather than growing a megabyte by copies.
        using var text = new StringWriter(new StringBuilder(value is ICollection list ? list.Count * 1024 : 16 * 1024), CultureInfo.InvariantCulture);
        using (var json = new JsonTextWriter(text))
        {
            json.WriteStartArray();
            foreach (var session in (IEnumerable)value)
            {
                sessions.Serialize(json, session);
            }

            json.WriteEndArray();
        }

        writer.WriteRawValue(text.ToString());
    }

    public override object ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) =>
        throw new NotSupportedException("Listings are only written.");

    private static JsonSerializer SessionSerializer(JsonSerializer formatterSerializer)
    {
        var sessions = new JsonSerializer
        {
            ContractResolver = formatterSerializer.ContractResolver,
            NullValueHandling = formatterSerializer.NullValueHandling,
            DefaultValueHandling = formatterSerializer.DefaultValueHandling,
            StringEscapeHandling = formatterSerializer.StringEscapeHandling,
            Culture = formatterSerializer.Culture,
        };
        foreach (var converter in formatterSerializer.Converters.Where(converter => converter.GetType().Assembly == typeof(PreSerializedListConverter).Assembly && converter is not PreSerializedListConverter))
        {
            sessions.Converters.Add(converter);
        }

        return sessions;
    }
}
