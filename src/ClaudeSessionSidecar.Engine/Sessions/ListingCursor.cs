using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// The opaque cursor of a paged listing: the sort key (activity time, session id) of the last session on the page,
/// signed with the store's secret (HMAC-SHA256, over the listing too), so that only a cursor this server, or another on
/// the same store, gave for that listing is taken. Later pages start after the key, so sessions added meanwhile
/// (newer) never shift them. Every face pages with it.
/// </summary>
/// <param name="store">Whose secret signs the cursors: asked for once, the first time a cursor is made or read.</param>
public sealed class ListingCursor(ISessionRecords store)
{
    /// <summary>The name of the store's secret that signs cursors.</summary>
    public const string SecretName = "listing_cursor";

    /// <summary>Longer than any cursor <see cref="Encode"/> writes (about 130 characters): not even decoded.</summary>
    private const int MaxLength = 512;

    private byte[]? key;

    /// <summary>The listings that page, each with cursors of its own: one given by one is refused by the other.</summary>
    public enum Listing
    {
        /// <summary>Every session (the stdio face's <c>session/list</c>).</summary>
        All,

        /// <summary>The sessions the CLI would resume (the ACP face's <c>session/list</c>).</summary>
        Resumable,

        /// <summary>The sessions a search found (<c>session/search</c>).</summary>
        Search,
    }

    public string Encode(Listing listing, SessionView last)
    {
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            new JObject { ["t"] = last.LastActiveAt.ToUnixTimeMilliseconds(), ["id"] = last.SessionId }.ToString(Newtonsoft.Json.Formatting.None)));
        return payload + "." + Signature(listing, payload);
    }

    /// <returns>The sort key, or null for anything <see cref="Encode"/> did not write for this listing with this store's secret.</returns>
    public (long Time, string SessionId)? TryDecode(Listing listing, string cursor)
    {
        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        if (cursor.Length > MaxLength || dot < 0)
        {
            return null;
        }

        // The signature covers the payload's very characters: a cursor re-encoded in any way is refused here.
        var payload = cursor[..dot];
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cursor[(dot + 1)..]), Encoding.UTF8.GetBytes(Signature(listing, payload))))
        {
            return null;
        }

        try
        {
            var sortKey = TranscriptLines.TryParseObject(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(payload)));
            if (sortKey?["t"] is JValue { Value: long time } && sortKey["id"] is JValue { Type: JTokenType.String } id)
            {
                return (time, (string)id!);
            }
        }
        catch (FormatException)
        {
            // Signed but not written by Encode: another build's format.
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

    private string Signature(Listing listing, string payload)
    {
        var secretKey = Volatile.Read(ref key);
        if (secretKey is null)
        {
            // Two first uses at once read the same secret from the store: either may be kept.
            secretKey = store.Secret(SecretName);
            Volatile.Write(ref key, secretKey);
        }

        var signed = listing switch
        {
            Listing.All => "all.",
            Listing.Resumable => "resumable.",
            Listing.Search => "search.",
            _ => throw new ArgumentOutOfRangeException(nameof(listing)),
        } + payload;
        return Base64Url.EncodeToString(HMACSHA256.HashData(secretKey, Encoding.UTF8.GetBytes(signed)));
    }
}
