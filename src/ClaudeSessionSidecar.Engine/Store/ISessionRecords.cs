namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// Where the sessions a server created are remembered: the embedded SQLite file (<see cref="SessionStore"/>, one
/// machine) or PostgreSQL (<see cref="PostgresStore"/>, every machine sharing the database).
/// </summary>
public interface ISessionRecords
{
    /// <summary>Stores a new session (a second insert of the same id changes nothing).</summary>
    void Insert(SessionRecord record);

    SessionRecord? Get(string sessionId);

    /// <summary>Marks a session active (never moving its time backwards).</summary>
    void Touch(string sessionId, DateTimeOffset at);

    void SetTitle(string sessionId, string title);

    void Delete(string sessionId);

    /// <summary>
    /// A user's sessions in the listings' order (the cursor's key, Sessions/ListingCursor: newest activity first, then the
    /// higher id, ordinal), optionally only those of one working directory (by real path).
    /// </summary>
    IReadOnlyList<SessionRecord> List(string userId, string? realWorkingDirectory);

    /// <summary>The ids of every session stored, whoever its user: what "external" is measured against.</summary>
    HashSet<string> AllSessionIds();

    /// <summary>
    /// The store's secret of that name: 32 random bytes made by the first server that asks, then the same for every
    /// server process on the store (a listing's cursor from one is good on the next).
    /// </summary>
    byte[] Secret(string name);
}
