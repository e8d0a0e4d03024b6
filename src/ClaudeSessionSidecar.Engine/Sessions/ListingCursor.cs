using System.Text;
using ClaudeSessionSidecar.Engine.Identifiers;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// The opaque cursor of a paged listing: the sort key (activity time, session id) of the last session on the page.
/// Later pages start after it, so sessions added meanwhile (newer) never shift them. Every face pages with it.
/// </summary>
public static class ListingCursor
{
    public static string Encode(SessionView last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JObject { ["t"] = last.LastActiveAt.ToUnixTimeMilliseconds(), ["id"] = last.SessionId }.ToString(Newtonsoft.Json.Formatting.None)));

    /// <returns>The sort key, or null for anything <see cref="Encode"/> did not write.</returns>
    public static (long Time, string SessionId)? TryDecode(string cursor)
    {
        try
        {
            var key = TranscriptLines.TryParseObject(Encoding.UTF8.GetString(Convert.FromBase64String(cursor)));

            // Only the shapes Encode writes: a 64-bit time and a session id string.
            if (key?["t"] is JValue { Value: long time } && key["id"] is JValue { Type: JTokenType.String } idValue && SessionId.Normalize((string?)idValue) is { } id)
            {
                return (time, id);
            }
        }
        catch (FormatException)
        {
            // Not base64.
        }

        return null;
    }

    /// <summary>Whether a session comes after the cursor in the listings' order.</summary>
    public static bool IsAfter(SessionView session, (long Time, string SessionId) cursor) =>
        Compare(session.LastActiveAt.ToUnixTimeMilliseconds(), session.SessionId, cursor.Time, cursor.SessionId) > 0;

    /// <summary>
    /// The listings' order, which is the cursor's key and nothing finer: newest activity first at the cursor's
    /// precision (milliseconds; a transcript's time has ticks, which a cursor does not keep), then the higher session
    /// id (ordinal) first. Sorting by anything else makes the pages skip and repeat sessions that share a millisecond.
    /// </summary>
    public static int Compare(DateTimeOffset time, string sessionId, DateTimeOffset otherTime, string otherSessionId) =>
        Compare(time.ToUnixTimeMilliseconds(), sessionId, otherTime.ToUnixTimeMilliseconds(), otherSessionId);

    private static int Compare(long time, string sessionId, long otherTime, string otherSessionId) =>
        time != otherTime ? otherTime.CompareTo(time) : string.CompareOrdinal(otherSessionId, sessionId);
}
