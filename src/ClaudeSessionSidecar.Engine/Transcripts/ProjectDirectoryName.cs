using System.Text;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// The CLI's rule for naming the folder under <c>projects/</c> that holds a working directory's transcripts,
/// measured on the real CLI (tests/…/TestData/path-rule): every UTF-16 code unit outside <c>A-Za-z0-9</c>
/// becomes <c>-</c>; a name longer than 200 characters keeps its first 200, then <c>-</c> and the base-36
/// absolute value of the Java-style 32-bit string hash of the real path.
/// </summary>
public static class ProjectDirectoryName
{
    public const int MaxLength = 200;

    /// <param name="realPath">The working directory with symlinks resolved (see <see cref="RealPath"/>).</param>
    public static string Encode(string realPath)
    {
        var sanitized = Sanitize(realPath);
        return sanitized.Length <= MaxLength ? sanitized : $"{sanitized[..MaxLength]}-{Base36(Math.Abs((long)JavaStringHash(realPath)))}";
    }

    /// <summary>The part every CLI build agrees on: for a long name, the 200-character prefix the hash suffix follows.</summary>
    public static string Sanitize(string path)
    {
        var builder = new StringBuilder(path.Length);
        foreach (var unit in path)
        {
            builder.Append(char.IsAsciiLetterOrDigit(unit) ? unit : '-');
        }

        return builder.ToString();
    }

    internal static int JavaStringHash(string text)
    {
        var hash = 0;
        foreach (var unit in text)
        {
            hash = unchecked((31 * hash) + unit);
        }

        return hash;
    }

    internal static string Base36(long value)
    {
        if (value == 0)
        {
            return "0";
        }

        const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var builder = new StringBuilder();
        for (; value > 0; value /= 36)
        {
            builder.Insert(0, Digits[(int)(value % 36)]);
        }

        return builder.ToString();
    }
}
