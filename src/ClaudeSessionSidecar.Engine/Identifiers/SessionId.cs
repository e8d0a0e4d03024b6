namespace ClaudeSessionSidecar.Engine.Identifiers;

/// <summary>
/// Session ids are strict UUIDs (8-4-4-4-12 hex digits), the only form the CLI makes. Checking this before any
/// path is built is what keeps an id from ever naming a file outside the projects folder.
/// </summary>
public static class SessionId
{
    /// <returns>The id in the CLI's lowercase form, or null when it is not a UUID.</returns>
    public static string? Normalize(string? candidate) =>
        candidate is { Length: 36 } && Guid.TryParseExact(candidate, "D", out var parsed) ? parsed.ToString("D") : null;

    public static bool IsValid(string? candidate) => Normalize(candidate) is not null;
}
