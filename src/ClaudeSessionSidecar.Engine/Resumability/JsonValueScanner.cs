namespace ClaudeSessionSidecar.Engine.Resumability;

/// <summary>How far one JSON value reaches in a text, by strict JSON grammar (as JavaScript's <c>JSON.parse</c>).</summary>
internal enum ScanOutcome
{
    /// <summary>A whole value ends at <c>End</c>.</summary>
    Complete,

    /// <summary>The text breaks the grammar before the value is whole.</summary>
    SyntaxError,

    /// <summary>The text ends while the value is still open.</summary>
    Incomplete,
}

/// <summary>
/// A grammar-exact scanner, so that a damaged transcript is split into values the way the CLI's reader splits it:
/// a value may span lines; a syntax error and a value left open at the end of the file are told apart.
/// </summary>
internal static class JsonValueScanner
{
    public static (ScanOutcome Outcome, int End) Scan(ReadOnlySpan<char> text, int start)
    {
        var position = start;
        try
        {
            return Value(text, ref position, depth: 0) ? (ScanOutcome.Complete, position) : (ScanOutcome.SyntaxError, position);
        }
        catch (IndexOutOfRangeException)
        {
            return (ScanOutcome.Incomplete, text.Length);
        }
    }

    /// <summary>
    /// Steps through the members of an object that <see cref="Scan"/> found complete, without building it: start with
    /// <paramref name="i"/> at its <c>{</c>; each call gives the next member's key and value as written (the key with
    /// its quotes), until the object ends.
    /// </summary>
    public static bool NextMember(ReadOnlySpan<char> obj, ref int i, out Range key, out Range value)
    {
        key = value = default;
        if (obj[i] == '}')
        {
            return false;
        }

        i++;
        SkipWhitespace(obj, ref i);
        if (obj[i] == '}')
        {
            return false;
        }

        var keyStart = i;
        String(obj, ref i);
        key = keyStart..i;
        SkipWhitespace(obj, ref i);
        i++;
        SkipWhitespace(obj, ref i);
        var valueStart = i;
        Value(obj, ref i, depth: 0);
        value = valueStart..i;
        SkipWhitespace(obj, ref i);
        return true;
    }

    public static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\uFEFF';

    /// <summary>Deeper nesting than this is treated as a syntax error rather than risking the stack (the CLI's parser has a limit too).</summary>
    private const int MaxDepth = 512;

    private static bool Value(ReadOnlySpan<char> text, ref int i, int depth)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        switch (text[i])
        {
            case '{':
                i++;
                SkipWhitespace(text, ref i);
                if (text[i] == '}')
                {
                    i++;
                    return true;
                }

                while (true)
                {
                    if (text[i] != '"' || !String(text, ref i))
                    {
                        return false;
                    }

                    SkipWhitespace(text, ref i);
                    if (text[i++] != ':')
                    {
                        return false;
                    }

                    SkipWhitespace(text, ref i);
                    if (!Value(text, ref i, depth + 1))
                    {
                        return false;
                    }

                    SkipWhitespace(text, ref i);
                    var next = text[i++];
                    if (next == '}')
                    {
                        return true;
                    }

                    if (next != ',')
                    {
                        return false;
                    }

                    SkipWhitespace(text, ref i);
                }

            case '[':
                i++;
                SkipWhitespace(text, ref i);
                if (text[i] == ']')
                {
                    i++;
                    return true;
                }

                while (true)
                {
                    if (!Value(text, ref i, depth + 1))
                    {
                        return false;
                    }

                    SkipWhitespace(text, ref i);
                    var next = text[i++];
                    if (next == ']')
                    {
                        return true;
                    }

                    if (next != ',')
                    {
                        return false;
                    }

                    SkipWhitespace(text, ref i);
                }

            case '"':
                return String(text, ref i);
            case 't':
                return Literal(text, ref i, "true");
            case 'f':
                return Literal(text, ref i, "false");
            case 'n':
                return Literal(text, ref i, "null");
            default:
                return Number(text, ref i);
        }
    }

    private static bool String(ReadOnlySpan<char> text, ref int i)
    {
        i++;
        while (true)
        {
            var c = text[i++];
            if (c == '"')
            {
                return true;
            }

            if (c < ' ')
            {
                return false;
            }

            if (c == '\\')
            {
                var escape = text[i++];
                if (escape == 'u')
                {
                    for (var k = 0; k < 4; k++)
                    {
                        if (!char.IsAsciiHexDigit(text[i++]))
                        {
                            return false;
                        }
                    }
                }
                else if (escape is not ('"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't'))
                {
                    return false;
                }
            }
        }
    }

    private static bool Literal(ReadOnlySpan<char> text, ref int i, string literal)
    {
        foreach (var expected in literal)
        {
            if (text[i++] != expected)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Number(ReadOnlySpan<char> text, ref int i)
    {
        if (text[i] == '-')
        {
            i++;
        }

        if (text[i] == '0')
        {
            i++;
        }
        else if (char.IsAsciiDigit(text[i]))
        {
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }

            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (text[i] is '+' or '-')
            {
                i++;
            }

            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }

            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        return true;
    }

    public static void SkipWhitespace(ReadOnlySpan<char> text, ref int i)
    {
        while (text[i] is ' ' or '\t' or '\r' or '\n')
        {
            i++;
        }
    }
}
