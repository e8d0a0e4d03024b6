using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Identifiers;
using ClaudeSessionSidecar.Engine.Sessions;

namespace ClaudeSessionSidecar.Protocol;

/// <summary>Parameter checks shared by every method; each failure is a -32602 naming the parameter.</summary>
public static class Require
{
    /// <summary>The longest path the system opens, in UTF-8 bytes.</summary>
    public const int MaxPathBytes = 4095;

    public static string SessionId(string? value, string name = "sessionId") =>
        Engine.Identifiers.SessionId.Normalize(value) ?? throw RpcErrors.InvalidParams(name, $"{name} must be a UUID like 01ec978c-46b2-450b-ba12-1563a088763f.");

    public static string AbsolutePath(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw RpcErrors.InvalidParams(name, $"{name} is required.");
        }

        if (value.Contains('\0', StringComparison.Ordinal) || !Path.IsPathFullyQualified(value))
        {
            throw RpcErrors.InvalidParams(name, $"{name} must be an absolute path: {ClientText.Quote(value)}");
        }

        // Linux opens no longer path (PATH_MAX, 4096 with the final NUL): such a folder cannot exist, and the refusal
        // bounds what an answer that names the folder (a status, its error's data) repeats.
        if (value.Length > MaxPathBytes / 3 && Encoding.UTF8.GetByteCount(value) > MaxPathBytes)
        {
            throw RpcErrors.InvalidParams(name, $"{name} is longer than a path may be ({MaxPathBytes} bytes of UTF-8): {ClientText.Quote(value)}");
        }

        return value;
    }

    public static string? OptionalAbsolutePath(string? value, string name) => value is null ? null : AbsolutePath(value, name);

    public static string Text(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw RpcErrors.InvalidParams(name, $"{name} is required and must be a non-empty string.");
        }

        return value;
    }

    /// <summary>A title: not blank, trimmed, at most <paramref name="maxLength"/> characters (code points) once trimmed.</summary>
    public static string Title(string? value, string name, int maxLength)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw RpcErrors.InvalidParams(name, $"{name} is required and must not be empty or only white space.");
        }

        if (trimmed.Length > maxLength && ClientText.CodePoints(trimmed) > maxLength)
        {
            throw RpcErrors.InvalidParams(name, $"{name} must be at most {maxLength} characters (after trimming).");
        }

        return trimmed;
    }

    /// <summary>An optional short token such as a user id or model: 1 to <paramref name="maxLength"/> characters (code points), no control characters, and not flag-like.</summary>
    public static string? OptionalToken(string? value, string name, int maxLength = 200)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0 || (value.Length > maxLength && ClientText.CodePoints(value) > maxLength) || value.Any(char.IsControl) || value.StartsWith('-'))
        {
            throw RpcErrors.InvalidParams(name, $"{name} must be 1 to {maxLength} characters, without control characters, not starting with '-'.");
        }

        return value;
    }

    public static string? OneOf(string? value, string name, IReadOnlyCollection<string> allowed)
    {
        if (value is not null && !allowed.Contains(value))
        {
            throw RpcErrors.InvalidParams(name, $"{name} must be one of: {string.Join(", ", allowed)}.");
        }

        return value;
    }

    public static int Range(int? value, string name, int defaultValue, int min, int max)
    {
        var actual = value ?? defaultValue;
        if (actual < min || actual > max)
        {
            throw RpcErrors.InvalidParams(name, $"{name} must be between {min} and {max}.");
        }

        return actual;
    }
}
