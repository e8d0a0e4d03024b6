using System.Globalization;
using System.Text;

namespace ClaudeSessionSidecar.Engine.Diagnostics;

/// <summary>
/// A client's value as an error message (or a log line) repeats it: never more than <see cref="MaxShown"/> characters
/// of it, so that a 2 MB bad value does not make a 2 MB error in the client's log, an editor's notification and this
/// server's memory. Characters are Unicode code points (a non-BMP character such as an emoji is one), as every length
/// limit of the protocol counts them; a cut never splits a surrogate pair.
/// </summary>
public static class ClientText
{
    /// <summary>The most characters of a client's value an error shows.</summary>
    public const int MaxShown = 200;

    /// <summary>
    /// The value in double quotes, control characters and lone surrogates escaped as in JSON (so it cannot break a log
    /// line); when longer than <see cref="MaxShown"/> characters, its first ones, "…", and its length:
    /// <c>"AAAA…" (2097152 characters, cut)</c>.
    /// </summary>
    public static string Quote(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var prefix = PrefixLength(value, MaxShown);
        var builder = new StringBuilder(Math.Min(prefix, value.Length) + 48).Append('"');
        Escape(builder, value.AsSpan(0, prefix));
        if (prefix == value.Length)
        {
            return builder.Append('"').ToString();
        }

        return builder.Append("…\" (").Append(CodePoints(value).ToString(CultureInfo.InvariantCulture)).Append(" characters, cut)").ToString();
    }

    /// <summary>
    /// A message made elsewhere that may hold a client's value (a parser's, a library's, an exception's), at most
    /// <paramref name="maxShown"/> characters, then "… (N characters, cut)". Not quoted, not escaped.
    /// </summary>
    public static string Cut(string message, int maxShown = MaxShown)
    {
        var prefix = PrefixLength(message, maxShown);
        return prefix == message.Length
            ? message
            : string.Concat(message.AsSpan(0, prefix), $"… ({CodePoints(message).ToString(CultureInfo.InvariantCulture)} characters, cut)");
    }

    /// <summary>Unicode code points: a surrogate pair is one, a lone surrogate one too.</summary>
    public static int CodePoints(string text)
    {
        var count = text.Length;
        for (var i = 0; i < text.Length - 1; i++)
        {
            if (char.IsSurrogatePair(text[i], text[i + 1]))
            {
                count--;
                i++;
            }
        }

        return count;
    }

    /// <summary>How many UTF-16 units the first <paramref name="codePoints"/> code points take (all of them when fewer).</summary>
    private static int PrefixLength(string text, int codePoints)
    {
        // Fast path: at most that many units is at most that many code points.
        if (text.Length <= codePoints)
        {
            return text.Length;
        }

        var units = 0;
        for (var taken = 0; taken < codePoints && units < text.Length; taken++)
        {
            units += units + 1 < text.Length && char.IsSurrogatePair(text[units], text[units + 1]) ? 2 : 1;
        }

        return units;
    }

    private static void Escape(StringBuilder builder, ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }
    }
}
