using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>Typed reads of JSON the CLI or a client wrote: a field of another type counts as absent.</summary>
public static class JsonFields
{
    /// <summary>The value when it is a JSON string, else null.</summary>
    public static string? StringOf(JToken? value) => value is JValue { Type: JTokenType.String } text ? (string?)text : null;

    /// <summary>Whether the value is JSON <c>true</c> (a missing field, a string "true" or 1 are not).</summary>
    public static bool IsTrue(JToken? value) => value is JValue { Type: JTokenType.Boolean } flag && (bool)flag;
}
