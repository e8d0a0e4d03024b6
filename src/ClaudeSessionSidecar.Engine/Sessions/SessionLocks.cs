using ClaudeSessionSidecar.Engine.Identifiers;
using ClaudeSessionSidecar.Engine.Store;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>
/// One turn at a time per session, across every process sharing the store. Each lock is an exclusive
/// open of <c>locks/&lt;id&gt;.lock</c>, which .NET takes with <c>flock</c>: the kernel drops it when its
/// holder exits, however it dies, so a crash never leaves a session locked. Lock files are never
/// deleted: deleting one while another process opens it would let two holders lock two different files.
/// With a PostgreSQL store the lock is the session's advisory lock instead, held across every machine.
/// </summary>
public sealed class SessionLocks(string storeDirectory, PostgresStore? shared = null)
{
    private readonly string directory = Path.Combine(storeDirectory, "locks");

    /// <returns>The held lock (dispose to release), or null when another turn holds it.</returns>
    public IDisposable? TryAcquire(string sessionId)
    {
        var normalized = SessionId.Normalize(sessionId) ?? throw new ArgumentException("Not a session id.", nameof(sessionId));
        if (shared is not null)
        {
            return shared.TryLock(normalized);
        }

        Directory.CreateDirectory(directory);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return new FileStream(Path.Combine(directory, normalized + ".lock"), options);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
