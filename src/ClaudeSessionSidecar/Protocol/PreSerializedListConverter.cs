using System.Collections;
using System.Globalization;
using ClaudeSessionSidecar.Methods.Session;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>
/// Writes a listing's sessions (<c>session/list</c>, <c>session/listResumable</c>, <c>session/search</c>) straight to JSON text handed on
/// whole (a <c>JRaw</c>). The formatter turns a result into a token tree before writing it, and asks each of its
/// converters (StreamJsonRpc's own look for progress and async-enumerable interfaces by reflection) about every
/// value: together about 28 µs a session, most of a warm listing of thousands. Here each field is written by hand,
/// in the DTO's order and with its null handling; <c>PreSerializedListConverterTests</c> holds the two to the same answer.
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

        // A StringBuilder grows in small chunks: no large-object allocation (each costs a gen-2 collection) before the one string.
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var json = new JsonTextWriter(text) { StringEscapeHandling = serializer.StringEscapeHandling })
        {
            json.WriteStartArray();
            foreach (var session in (IEnumerable)value)
            {
                if (session is SessionViewDto view)
                {
                    Write(json, view);
                }
                else
                {
                    Write(json, (ResumableSessionDto)session);
                }
            }

            json.WriteEndArray();
        }

        writer.WriteRawValue(text.ToString());
    }

    public override object ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) =>
        throw new NotSupportedException("Listings are only written.");

    private static void Write(JsonWriter json, SessionViewDto session)
    {
        json.WriteStartObject();
        Property(json, "sessionId", session.SessionId);
        Optional(json, "userId", session.UserId);
        Optional(json, "workingDirectory", session.WorkingDirectory);
        Time(json, "createdAt", session.CreatedAt);
        Time(json, "lastActiveAt", session.LastActiveAt);
        Property(json, "title", session.Title);
        Optional(json, "firstPrompt", session.FirstPrompt);
        Optional(json, "customTitle", session.CustomTitle);
        Optional(json, "tag", session.Tag);
        json.WritePropertyName("archived");
        json.WriteValue(session.Archived);
        Optional(json, "gitBranch", session.GitBranch);
        Optional(json, "fileSize", session.FileSize);
        Optional(json, "filePath", session.FilePath);
        Property(json, "source", session.Source);
        json.WritePropertyName("status");
        json.WriteStartObject();
        json.WritePropertyName("resumable");
        json.WriteValue(session.Status.Resumable);
        Optional(json, "reason", session.Status.Reason);
        Optional(json, "fileSize", session.Status.FileSize);
        Optional(json, "filePath", session.Status.FilePath);
        Optional(json, "workingDirectory", session.Status.WorkingDirectory);
        json.WriteEndObject();
        Usage(json, session.Usage, session.CostUsd);
        if (session is SearchHitDto hit)
        {
            json.WritePropertyName("matches");
            json.WriteStartArray();
            foreach (var match in hit.Matches)
            {
                json.WriteStartObject();
                Property(json, "uuid", match.Uuid);
                Property(json, "type", match.Type);
                Property(json, "timestamp", match.Timestamp);
                Property(json, "snippet", match.Snippet);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void Write(JsonWriter json, ResumableSessionDto session)
    {
        json.WriteStartObject();
        Property(json, "sessionId", session.SessionId);
        Optional(json, "userId", session.UserId);
        Property(json, "workingDirectory", session.WorkingDirectory);
        Time(json, "createdAt", session.CreatedAt);
        Time(json, "lastActiveAt", session.LastActiveAt);
        Property(json, "title", session.Title);
        Optional(json, "firstPrompt", session.FirstPrompt);
        json.WritePropertyName("fileSize");
        json.WriteValue(session.FileSize);
        Property(json, "filePath", session.FilePath);
        Property(json, "source", session.Source);
        Usage(json, session.Usage, session.CostUsd);
        json.WriteEndObject();
    }

    private static void Usage(JsonWriter json, UsageDto? usage, double? costUsd)
    {
        if (usage is not null)
        {
            json.WritePropertyName("usage");
            json.WriteStartObject();
            Optional(json, "inputTokens", usage.InputTokens);
            Optional(json, "outputTokens", usage.OutputTokens);
            Optional(json, "cacheCreationInputTokens", usage.CacheCreationInputTokens);
            Optional(json, "cacheReadInputTokens", usage.CacheReadInputTokens);
            json.WriteEndObject();
        }

        if (costUsd is { } cost)
        {
            json.WritePropertyName("costUsd");
            json.WriteValue(cost);
        }
    }

    private static void Property(JsonWriter json, string name, string? value)
    {
        json.WritePropertyName(name);
        json.WriteValue(value);
    }

    private static void Optional(JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            Property(json, name, value);
        }
    }

    private static void Optional(JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WritePropertyName(name);
            json.WriteValue(number);
        }
    }

    private static void Time(JsonWriter json, string name, DateTimeOffset value) =>
        Property(json, name, value.UtcDateTime.ToString(UtcTimeConverter.Format, CultureInfo.InvariantCulture));
}
