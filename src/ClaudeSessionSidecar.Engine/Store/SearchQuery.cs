using System.Text;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>One thing a session must contain: a word, or a quoted phrase (its words in order).</summary>
/// <param name="Text">As the user typed it (without the quotes).</param>
/// <param name="HasWords">Whether it has a letter or digit: the index finds it by its words. A term of punctuation alone is looked for as written.</param>
public sealed record SearchTerm(string Text, bool IsPhrase, bool HasWords)
{
    /// <summary>The term as an FTS5 string: a phrase of its words, whatever operators or punctuation it holds.</summary>
    public string FtsPhrase => "\"" + Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// A search as typed: words that must all appear somewhere in a session (in any order), and "quoted phrases" that
/// must appear word for word. Nothing in it is syntax: FTS operators (<c>NEAR</c>, <c>OR</c>, <c>*</c>, <c>-</c>,
/// <c>^</c>, column filters) are words or punctuation like any other, and a quote that never closes is a character.
/// </summary>
public sealed record SearchQuery(IReadOnlyList<SearchTerm> Terms)
{
    public static SearchQuery Parse(string text)
    {
        var terms = new List<SearchTerm>();
        var word = new StringBuilder();
        void EndWord()
        {
            if (word.Length > 0)
            {
                terms.Add(Term(word.ToString(), isPhrase: false));
                word.Clear();
            }
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' && text.IndexOf('"', i + 1) is var close and > 0)
            {
                EndWord();
                if (text[(i + 1)..close].Trim() is { Length: > 0 } phrase)
                {
                    terms.Add(Term(phrase, isPhrase: true));
                }

                i = close;
            }
            else if (char.IsWhiteSpace(c))
            {
                EndWord();
            }
            else
            {
                word.Append(c);
            }
        }

        EndWord();

        // Nothing but empty quotes: the text as typed is what to look for.
        if (terms.Count == 0 && text.Trim() is { Length: > 0 } typed)
        {
            terms.Add(Term(typed, isPhrase: true));
        }

        return new SearchQuery(terms.Distinct().ToList());
    }

    /// <summary>The terms the full-text index answers.</summary>
    public IEnumerable<SearchTerm> WordTerms => Terms.Where(term => term.HasWords);

    /// <summary>The terms of punctuation alone, matched as written (case folded) in the messages' text.</summary>
    public IEnumerable<SearchTerm> LiteralTerms => Terms.Where(term => !term.HasWords);

    private static SearchTerm Term(string text, bool isPhrase) =>
        new(text, isPhrase, text.EnumerateRunes().Any(rune => Rune.IsLetterOrDigit(rune)));
}
