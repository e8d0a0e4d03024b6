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

    /// <summary>
    /// After a turn this server ran, in one commit (a turn's answer waits for it; each commit of the embedded store is
    /// an fsync): marks the session active (never moving its time backwards) and, when the CLI gave one, keeps its own
    /// cost of the session: its <c>total_cost_usd</c>, which is already the session's running total (CLI 2.1.328 keeps
    /// it in the transcript's <c>cost-state</c> lines and restores it on resume).
    /// </summary>
    void TurnEnded(string sessionId, DateTimeOffset at, double? costUsd);

    void SetTitle(string sessionId, string title);

    /// <summary>Removes the session's record (and its cost).</summary>
    void Delete(string sessionId);

    /// <summary>The kept costs of those of <paramref name="sessionIds"/> that have one.</summary>
    IReadOnlyDictionary<string, double> Costs(IReadOnlyCollection<string> sessionIds);

    /// <summary>
    /// A user's sessions in the listings' order (the cursor's key, Sessions/ListingCursor: newest activity first, then the
    /// higher id, ordinal), optionally only those of one working directory (by real path).
    /// </summary>
    IReadOnlyList<SessionRecord> List(string userId, string? realWorkingDirectory);

    /// <summary>The ids of every session stored, whoever its user: what "external" is measured against.</summary>
    IReadOnlySet<string> AllSessionIds();

    /// <summary>
    /// The store's secret of that name: 32 random bytes made by the first server that asks, then the same for every
    /// server process on the store (a listing's cursor from one is good on the next).
    /// </summary>
    byte[] Secret(string name);
}
