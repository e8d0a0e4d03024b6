using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Npgsql;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// The search index of the PostgreSQL store's own copies of the transcripts, in the database (docs/postgres-store.md):
/// each session's conversation (<see cref="ConversationText"/>, what <c>session/messages</c> shows) as of one
/// <c>transcript_version</c>, so that a machine that never had a session's transcript finds it. Written when a server
/// makes the store's copy equal to its local file (<see cref="Save"/>), and brought up to date from the store's lines
/// before each search for a session whose copy moved on since (<see cref="Update"/>).
/// </summary>
/// <remarks>
/// Matching is PostgreSQL's <c>LIKE</c> (with a <c>pg_trgm</c> GIN index when the extension can be had) over text this
/// server prepared, never over the database's own case folding or word splitting: both follow the database's locale
/// (with <c>C</c>, <c>lower('ÜBERPRÜFUNG')</c> is <c>'ÜberprÜfung'</c>, and <c>to_tsvector</c> keeps
/// <c>example.com</c> or <c>naïve—word</c> as one word). Each message is kept three ways: its text (for snippets);
/// <c>folded</c>, the text case folded (<see cref="Fold"/>: simple upper-case mapping of all of Unicode, length kept),
/// where a term of punctuation alone is looked for as written; and <c>words</c>, its folded words (runs of letters,
/// digits and private-use characters, as SQLite's <c>unicode61</c> tokenizer splits them) joined by one space, with a
/// space at each end. A word or phrase is then <c>words LIKE '% W1 W2 %'</c>: whole words, in order, next to each other,
/// whatever punctuation stood between them.
/// </remarks>
public sealed class PostgresSearchIndex(PostgresStore store)
{
    /// <summary>The meaning of the rows: a session indexed with another format is read again at the next search.</summary>
    public const int Format = 1;

    /// <summary>
    /// The tables (docs/postgres-store.md, "The search index"): one schema migration of <see cref="PostgresStore"/>,
    /// self-contained. The trigram indexes are made only when <c>pg_trgm</c> is there or may be created; without it
    /// the same statements answer, scanning the listed sessions' messages. Each statement may run again over tables
    /// it made (a database whose recorded version was set back).
    /// </summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS sidecar_search_sources (
            session_id text PRIMARY KEY REFERENCES sidecar_sessions (session_id) ON DELETE CASCADE,
            transcript_version bigint NOT NULL,
            format integer NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sidecar_search_messages (
            session_id text NOT NULL REFERENCES sidecar_search_sources (session_id) ON DELETE CASCADE,
            seq integer NOT NULL,
            uuid text NOT NULL,
            type text NOT NULL,
            timestamp text,
            text text NOT NULL,
            folded text NOT NULL,
            words text NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        DO $migration$
        DECLARE trgm text;
        BEGIN
            BEGIN
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'pg_trgm cannot be created (%): session/search scans the listed sessions'' messages', SQLERRM;
            END;
            SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
            IF trgm IS NOT NULL THEN
                EXECUTE format('CREATE INDEX IF NOT EXISTS sidecar_search_messages_words ON sidecar_search_messages USING gin (words %I.gin_trgm_ops)', trgm);
                EXECUTE format('CREATE INDEX IF NOT EXISTS sidecar_search_messages_folded ON sidecar_search_messages USING gin (folded %I.gin_trgm_ops)', trgm);
            END IF;
        END
        $migration$;
        """;

    /// <summary>
    /// Stores a session's conversation as of <paramref name="version"/>, in place of an older one: only while that is
    /// still the session's version (a copy that moved on meanwhile is read again at the next search), and only when
    /// the index holds an older version (the messages are read only then).
    /// </summary>
    /// <returns>Whether the index was written.</returns>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public bool Save(string sessionId, long version, Func<IReadOnlyList<ConversationMessageText>> messages) => store.Use(connection =>
    {
        using var transaction = connection.BeginTransaction();
        using var claim = Command(connection, """
            INSERT INTO sidecar_search_sources (session_id, transcript_version, format)
            SELECT @id, @version, @format WHERE EXISTS (SELECT 1 FROM sidecar_sessions WHERE session_id = @id AND transcript_version = @version)
            ON CONFLICT (session_id) DO UPDATE SET transcript_version = excluded.transcript_version, format = excluded.format
            WHERE sidecar_search_sources.transcript_version < excluded.transcript_version OR sidecar_search_sources.format <> excluded.format
            RETURNING 1
            """, ("id", sessionId), ("version", version), ("format", Format));
        if (claim.ExecuteScalar() is null)
        {
            return false;
        }

        using (var delete = Command(connection, "DELETE FROM sidecar_search_messages WHERE session_id = @id", ("id", sessionId)))
        {
            delete.ExecuteNonQuery();
        }

        var rows = new JArray();
        foreach (var message in messages())
        {
            var text = Clean(message.Text);
            var folded = Fold(text);
            rows.Add(new JObject
            {
                ["seq"] = rows.Count + 1,
                ["uuid"] = Clean(message.Uuid),
                ["type"] = message.Type,
                ["timestamp"] = message.Timestamp is { } timestamp ? new JValue(Clean(timestamp)) : JValue.CreateNull(),
                ["text"] = text,
                ["folded"] = folded,
                ["words"] = WordLine(folded),
            });
        }

        if (rows.Count > 0)
        {
            using var insert = Command(connection, """
                INSERT INTO sidecar_search_messages (session_id, seq, uuid, type, timestamp, text, folded, words)
                SELECT @id, r.seq, r.uuid, r.type, r.timestamp, r.text, r.folded, r.words
                FROM json_to_recordset(@rows::json) AS r (seq integer, uuid text, type text, timestamp text, text text, folded text, words text)
                """, ("id", sessionId), ("rows", rows.ToString(Formatting.None)));
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return true;
    });

    /// <summary>
    /// Makes the index current for these sessions: each whose store copy changed since it was indexed (another
    /// writer, a failed write, a session older than the index) is read again from the store's lines.
    /// </summary>
    /// <returns>How many sessions were read again.</returns>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public int Update(IReadOnlyCollection<string> sessionIds)
    {
        if (sessionIds.Count == 0)
        {
            return 0;
        }

        var stale = store.Use(connection =>
        {
            using var command = Command(connection, """
                SELECT s.session_id, s.project_key, s.transcript_version
                FROM sidecar_sessions s LEFT JOIN sidecar_search_sources i ON i.session_id = s.session_id
                WHERE s.session_id IN (SELECT json_array_elements_text(@ids::json))
                  AND (i.session_id IS NULL OR i.transcript_version <> s.transcript_version OR i.format <> @format)
                """, ("ids", Json(sessionIds)), ("format", Format));
            using var reader = command.ExecuteReader();
            var found = new List<(string SessionId, string ProjectKey, long Version)>();
            while (reader.Read())
            {
                found.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }

            return found;
        });

        foreach (var (sessionId, projectKey, version) in stale)
        {
            // Read at that version or later: a later copy's lines under an earlier version are read again next time.
            Save(sessionId, version, () => ConversationText.FromLines(store.Load(projectKey, sessionId, subpath: string.Empty)));
        }

        return stale.Count;
    }

    /// <summary>The sessions among <paramref name="sessionIds"/> whose indexed conversation holds every term of the query.</summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public IReadOnlySet<string> Find(SearchQuery query, IReadOnlyCollection<string> sessionIds)
    {
        var conditions = Conditions(query);
        if (sessionIds.Count == 0 || conditions.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        return store.Use(connection =>
        {
            var sql = string.Join("\nINTERSECT\n", conditions.Select((condition, i) =>
                $"SELECT session_id FROM sidecar_search_messages WHERE session_id IN (SELECT json_array_elements_text(@ids::json)) AND {condition.Column} LIKE @p{i}"));
            using var command = Command(connection, sql, ("ids", Json(sessionIds)));
            for (var i = 0; i < conditions.Count; i++)
            {
                command.Parameters.Add(new NpgsqlParameter("p" + i.ToString(CultureInfo.InvariantCulture), conditions[i].Pattern));
            }

            using var reader = command.ExecuteReader();
            var found = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                found.Add(reader.GetString(0));
            }

            return (IReadOnlySet<string>)found;
        });
    }

    /// <summary>
    /// For each of these sessions (a page of hits), the messages that hold a term of the query, in conversation order,
    /// at most <paramref name="limit"/> each, with a snippet around the first match (as <see cref="SearchIndex.Matches"/>).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public IReadOnlyDictionary<string, IReadOnlyList<SearchMatch>> Matches(SearchQuery query, IReadOnlyCollection<string> sessionIds, int limit)
    {
        var found = sessionIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => new List<SearchMatch>(), StringComparer.Ordinal);
        var conditions = Conditions(query);
        if (found.Count > 0 && conditions.Count > 0)
        {
            store.Use(connection =>
            {
                var any = string.Join(" OR ", conditions.Select((condition, i) => $"{condition.Column} LIKE @p{i}"));
                using var command = Command(connection, $"""
                    SELECT session_id, uuid, type, timestamp, text FROM (
                        SELECT session_id, seq, uuid, type, timestamp, text, row_number() OVER (PARTITION BY session_id ORDER BY seq) AS n
                        FROM sidecar_search_messages
                        WHERE session_id IN (SELECT json_array_elements_text(@ids::json)) AND ({any})
                    ) hits
                    WHERE n <= @limit
                    ORDER BY session_id, seq
                    """, ("ids", Json(found.Keys)), ("limit", (long)limit));
                for (var i = 0; i < conditions.Count; i++)
                {
                    command.Parameters.Add(new NpgsqlParameter("p" + i.ToString(CultureInfo.InvariantCulture), conditions[i].Pattern));
                }

                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var text = reader.GetString(4);
                    var (at, length) = FirstMatch(query, text);
                    found[reader.GetString(0)].Add(new SearchMatch(reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), SearchIndex.SnippetAround(text, at, length)));
                }

                return 0;
            });
        }

        return found.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<SearchMatch>)pair.Value, StringComparer.Ordinal);
    }

    /// <summary>The case folding of the index and of the queries: Unicode's simple upper-case mapping, whatever the database's locale. Keeps the length.</summary>
    internal static string Fold(string text) => text.ToUpperInvariant();

    /// <summary>Where the words of a text are: runs of letters, digits (any number) and private-use characters, as SQLite's <c>unicode61</c> tokenizer splits them.</summary>
    internal static List<(int Start, int Length)> Words(string text)
    {
        var words = new List<(int Start, int Length)>();
        var start = -1;
        for (var i = 0; i < text.Length;)
        {
            // Half a surrogate pair is the replacement character, one wide.
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var width);
            if (IsWordRune(rune))
            {
                start = start < 0 ? i : start;
            }
            else if (start >= 0)
            {
                words.Add((start, i - start));
                start = -1;
            }

            i += width;
        }

        if (start >= 0)
        {
            words.Add((start, text.Length - start));
        }

        return words;
    }

    /// <summary>A folded text's words, each followed and preceded by one space: <c>" W1 W2 "</c>.</summary>
    internal static string WordLine(string folded)
    {
        var line = new StringBuilder(folded.Length + 2).Append(' ');
        foreach (var (start, length) in Words(folded))
        {
            line.Append(folded, start, length).Append(' ');
        }

        return line.ToString();
    }

    /// <summary>What each term asks of a message: the column, and a <c>LIKE</c> pattern (one per distinct pattern).</summary>
    private static List<(string Column, string Pattern)> Conditions(SearchQuery query) =>
        query.Terms
            .Select(term => term.HasWords
                ? (Column: "words", Pattern: "%" + EscapeLike(WordLine(Fold(term.Text))) + "%")
                : (Column: "folded", Pattern: "%" + EscapeLike(Clean(Fold(term.Text))) + "%"))
            .Distinct()
            .ToList();

    /// <summary>Where the first term of the query is in a message's text, and how long it is there.</summary>
    private static (int At, int Length) FirstMatch(SearchQuery query, string text)
    {
        var folded = Fold(text);
        var words = Words(folded);
        var best = (At: int.MaxValue, Length: 0);
        foreach (var term in query.Terms)
        {
            var (at, length) = term.HasWords ? FindWords(folded, words, term.Text) : (folded.IndexOf(Clean(Fold(term.Text)), StringComparison.Ordinal), term.Text.Length);
            if (at >= 0 && at < best.At)
            {
                best = (at, length);
            }
        }

        return best.At == int.MaxValue ? (0, 0) : best;
    }

    /// <summary>The first place the term's words follow one another among the text's words.</summary>
    private static (int At, int Length) FindWords(string folded, List<(int Start, int Length)> words, string termText)
    {
        var termFolded = Fold(termText);
        var wanted = Words(termFolded).Select(word => termFolded.Substring(word.Start, word.Length)).ToList();
        for (var i = 0; i + wanted.Count <= words.Count; i++)
        {
            var j = 0;
            while (j < wanted.Count && words[i + j].Length == wanted[j].Length && string.CompareOrdinal(folded, words[i + j].Start, wanted[j], 0, wanted[j].Length) == 0)
            {
                j++;
            }

            if (j == wanted.Count)
            {
                var last = words[i + wanted.Count - 1];
                return (words[i].Start, last.Start + last.Length - words[i].Start);
            }
        }

        return (-1, 0);
    }

    private static bool IsWordRune(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
        or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber or UnicodeCategory.PrivateUse;

    /// <summary>
    /// Text PostgreSQL takes, the same length: a NUL (which <c>text</c> cannot hold) becomes a space, half a surrogate
    /// pair (which is not UTF-8) the replacement character. Neither is a letter or digit, so no word changes.
    /// </summary>
    private static string Clean(string text)
    {
        StringBuilder? clean = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var bad = c == '\0' || (char.IsHighSurrogate(c) ? i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]) : char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(text[i - 1])));
            if (bad)
            {
                clean ??= new StringBuilder(text);
                clean[i] = c == '\0' ? ' ' : '\uFFFD';
            }
        }

        return clean?.ToString() ?? text;
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static string Json(IEnumerable<string> values) => new JArray(values).ToString(Formatting.None);

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return command;
    }
}
