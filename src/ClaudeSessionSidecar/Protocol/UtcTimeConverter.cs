using System.Globalization;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>
/// Writes every time the server makes itself (createdAt, lastActiveAt, lastModified, ...) one way: UTC, milliseconds,
/// <c>2026-11-26T12:20:01.000+00:00</c>. Newtonsoft's default trims trailing zeros, so the same field came with 0 to 7
/// fractional digits. Timestamps inside the CLI's messages and transcripts are strings, passed on as written.
/// </summary>
public sealed class UtcTimeConverter : JsonConverter
{
    public const string Format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'+00:00'";

    public override bool CanRead => false;

    /// <summary>Both forms: a <c>DateTimeOffset?</c> property reaches a converter as its declared type.</summary>
    public override bool CanConvert(Type objectType) => objectType == typeof(DateTimeOffset) || objectType == typeof(DateTimeOffset?);

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
    {
        if (value is DateTimeOffset time)
        {
            writer.WriteValue(time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull();
        }
    }

    public override object ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) =>
        throw new NotSupportedException("Times are only written.");
}
