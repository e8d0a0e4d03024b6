using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;

namespace ClaudeSessionSidecar.Engine.Sessions;

/// <summary>Bounds on the CLI processes kept running between turns.</summary>
public sealed record LiveSessionOptions
{
    /// <summary>
    /// At most this many CLI processes wait between turns (live sessions and spares together); the least recently
    /// used goes first. 0 turns live sessions off: every turn then runs in a process of its own. An idle CLI holds
    /// about 190 MB, so 4 is about 760 MB at most.
    /// </summary>
    public int MaxProcesses { get; init; } = 4;

    /// <summary>A process left idle this long is closed (the session stays resumable; its next turn starts a new one).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public bool Enabled => MaxProcesses > 0;
}

/// <summary>
/// The CLI processes that wait between turns: a session's own process after its turn (a live session), and spare
/// processes started ahead of a <c>create</c> in a folder. A process is reused only when that is exactly right, and
/// ended the safe way (stdin closed, then the polite ladder) when it is not, when it is evicted, or when idle too long.
/// </summary>
internal sealed class LiveProcesses : IAsyncDisposable
{
    private readonly ClaudeCli cli;
    private readonly LiveSessionOptions options;
    private readonly ISidecarLog log;
    private readonly TimeProvider clock;
    private readonly object gate = new();
    private readonly Dictionary<string, Waiting> bySession = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Waiting> sparesByFolder = new(StringComparer.Ordinal);
    private readonly List<Task> closing = [];
    private readonly ITimer? sweeper;
    private bool disposed;

    public LiveProcesses(ClaudeCli cli, LiveSessionOptions options, ISidecarLog log, TimeProvider clock)
    {
        this.cli = cli;
        this.options = options;
        this.log = log;
        this.clock = clock;
        if (options.Enabled)
        {
            var period = TimeSpan.FromTicks(Math.Clamp(options.IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(30).Ticks));
            sweeper = clock.CreateTimer(_ => CloseIdle(), null, period, period);
        }
    }

    public bool Enabled => options.Enabled;

    /// <summary>How many processes wait now (live sessions and spares).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return bySession.Count + sparesByFolder.Count;
            }
        }
    }

    /// <summary>
    /// The session's live process, when it may take the next turn exactly as it is: running and healthy, its
    /// transcript as it left it, and its options the turn's (model and permission mode are switched with the CLI's
    /// own control requests). Otherwise it is closed, before any other process writes to the transcript.
    /// The caller holds the session's lock.
    /// </summary>
    public async Task<CliProcess?> TakeAsync(string sessionId, string transcriptPath, string? model, string? permissionMode, bool includePartialMessages, string? mcpConfig = null, string? entrypoint = null)
    {
        Waiting? waiting;
        lock (gate)
        {
            if (!bySession.Remove(sessionId, out waiting))
            {
                return null;
            }
        }

        var process = waiting.Process;
        var notReusable =
            !process.IsReusable ? "it is no longer running"
            : waiting.TranscriptPath != transcriptPath || !TranscriptFingerprint.Take(transcriptPath).Equals(waiting.Left) ? "its transcript has changed since its last turn"
            : process.Launch.IncludePartialMessages != includePartialMessages ? "partial messages are asked differently"
            : process.Launch.McpConfig != mcpConfig ? "it runs other MCP servers"
            : process.Launch.Entrypoint != entrypoint ? "it runs under another entrypoint"
            : !await SwitchIfNeededAsync(process, model, permissionMode) ? "it did not take the new model or permission mode"
            : null;
        if (notReusable is null)
        {
            log.Debug($"Session {sessionId}: next turn in its live claude (pid {process.ProcessId}).");
            return process;
        }

        log.Info($"Session {sessionId}: not reusing claude (pid {process.ProcessId}): {notReusable}. Resuming it in a new process.");
        await CloseAsync(waiting);
        return null;
    }

    /// <summary>The spare process waiting in that folder, fitted to the turn's options; null when there is none that fits.</summary>
    /// <param name="sessionId">When the create names its session's id: only the spare started with that id fits.</param>
    public async Task<CliProcess?> TakeSpareAsync(string realWorkingDirectory, string? model, string? permissionMode, bool includePartialMessages, string? sessionId = null, string? mcpConfig = null, string? entrypoint = null)
    {
        Waiting? spare;
        lock (gate)
        {
            if (!sparesByFolder.TryGetValue(realWorkingDirectory, out spare) || spare.Process.Launch.IncludePartialMessages != includePartialMessages
                || spare.Process.Launch.McpConfig != mcpConfig || spare.Process.Launch.Entrypoint != entrypoint || !spare.Fits(sessionId))
            {
                return null;
            }

            sparesByFolder.Remove(realWorkingDirectory);
        }

        // Its initialize is read to its answer first (one reader of its stdout at a time); a CLI that did not answer in time is not reusable.
        await spare.Process.InitializeAsync();
        if (spare.Process.IsReusable && await SwitchIfNeededAsync(spare.Process, model, permissionMode))
        {
            return spare.Process;
        }

        log.Info($"The spare claude (pid {spare.Process.ProcessId}) in {realWorkingDirectory} cannot take the turn; starting a new one.");
        await spare.Process.DisposeAsync();
        return null;
    }

    /// <summary>The <c>initialize</c> answer of the spare waiting in that folder with those MCP servers; null when none waits.</summary>
    public Task<CliCapabilities?>? SpareInitializationAsync(string realWorkingDirectory, string? mcpConfig)
    {
        lock (gate)
        {
            return sparesByFolder.TryGetValue(realWorkingDirectory, out var spare) && spare.Process.Launch.McpConfig == mcpConfig
                ? spare.Process.InitializeAsync()
                : null;
        }
    }

    /// <summary>Starts a spare process for the next <c>create</c> in a folder, unless one waits there already.</summary>
    /// <returns>False when live sessions are off (or the server is closing them).</returns>
    public async Task<bool> PrepareAsync(CliLaunch launch, string realWorkingDirectory)
    {
        if (!Enabled || disposed)
        {
            return false;
        }

        lock (gate)
        {
            if (sparesByFolder.TryGetValue(realWorkingDirectory, out var existing) && existing.Process.IsReusable
                && existing.Process.Launch.IncludePartialMessages == launch.IncludePartialMessages
                && existing.Process.Launch.McpConfig == launch.McpConfig
                && existing.Process.Launch.Entrypoint == launch.Entrypoint
                && existing.Fits(launch.NewSessionId))
            {
                existing.LastUsed = clock.GetUtcNow();
                return true;
            }
        }

        // A spare has its id chosen up front and writes nothing until its first prompt: unused, it leaves no trace.
        var process = cli.Start(launch with { NewSessionId = launch.NewSessionId ?? Guid.NewGuid().ToString() });

        // As the SDK's pre-warm does: the CLI loads what its first turn needs while it waits (measured ~40 ms off that turn).
        _ = process.InitializeAsync();
        Task evicted;
        lock (gate)
        {
            if (sparesByFolder.Remove(realWorkingDirectory, out var replaced))
            {
                _ = RetireAsync(replaced);
            }

            sparesByFolder[realWorkingDirectory] = new Waiting(process, TranscriptPath: null, Left: default, clock.GetUtcNow()) { ReservedId = launch.NewSessionId };
            evicted = EvictOverCapAsync();
        }

        await evicted;
        return true;
    }

    /// <summary>Keeps a session's process for its next turn, or closes it when it cannot be kept. The caller holds the session's lock.</summary>
    public async Task KeepOrCloseAsync(string sessionId, CliProcess process, string? transcriptPath)
    {
        if (!Enabled || disposed || !process.IsReusable || transcriptPath is null)
        {
            await process.DisposeAsync();
            return;
        }

        // Taken now, under the session's lock: between turns the CLI writes nothing, so any later change is another writer's.
        var waiting = new Waiting(process, transcriptPath, TranscriptFingerprint.Take(transcriptPath), clock.GetUtcNow());
        Task evicted;
        lock (gate)
        {
            if (disposed)
            {
                // The server is closing its processes: this one goes too, not into a table nobody will empty.
                evicted = RetireAsync(waiting);
            }
            else
            {
                bySession[sessionId] = waiting;
                evicted = EvictOverCapAsync();
            }
        }

        // Waited for, so that when the turn answers, what the eviction's close wrote is settled (listings see it whole).
        await evicted;
    }

    /// <summary>
    /// Closes the session's live process, or the spare started with its id, if it has one (before its transcript is
    /// deleted). The caller holds the session's lock.
    /// </summary>
    public async Task CloseAsync(string sessionId)
    {
        Waiting? waiting;
        lock (gate)
        {
            if (!bySession.Remove(sessionId, out waiting)
                && sparesByFolder.FirstOrDefault(entry => entry.Value.Process.SessionId == sessionId) is { Value: not null } spare)
            {
                sparesByFolder.Remove(spare.Key);
                waiting = spare.Value;
            }
        }

        if (waiting is not null)
        {
            await CloseAsync(waiting);
        }
    }

    /// <summary>Ends every waiting process the safe way, and waits for them: nothing is left running or unsaved.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task> pending;
        sweeper?.Dispose();
        lock (gate)
        {
            disposed = true;
            foreach (var waiting in bySession.Values.Concat(sparesByFolder.Values))
            {
                closing.Add(CloseAsync(waiting));
            }

            bySession.Clear();
            sparesByFolder.Clear();
            pending = [.. closing];
        }

        await Task.WhenAll(pending);
    }

    private static async Task<bool> SwitchIfNeededAsync(CliProcess process, string? model, string? permissionMode) =>
        (process.Model == model && process.PermissionMode == permissionMode) || await process.SwitchAsync(model, permissionMode);

    private void CloseIdle()
    {
        var idleSince = clock.GetUtcNow() - options.IdleTimeout;
        lock (gate)
        {
            foreach (var (sessionId, waiting) in bySession.Where(entry => entry.Value.LastUsed <= idleSince).ToList())
            {
                log.Info($"Session {sessionId}: its claude (pid {waiting.Process.ProcessId}) was idle for {options.IdleTimeout.TotalSeconds:0.###} s; closing it.");
                bySession.Remove(sessionId);
                _ = RetireAsync(waiting);
            }

            foreach (var (folder, spare) in sparesByFolder.Where(entry => entry.Value.LastUsed <= idleSince).ToList())
            {
                sparesByFolder.Remove(folder);
                _ = RetireAsync(spare);
            }
        }
    }

    /// <summary>Closes the least recently used processes while there are more than the cap. Called under the gate.</summary>
    /// <returns>The closes it started.</returns>
    private Task EvictOverCapAsync()
    {
        var evicted = new List<Task>();
        while (bySession.Count + sparesByFolder.Count > options.MaxProcesses)
        {
            var oldestSession = bySession.Count == 0 ? default : bySession.MinBy(entry => entry.Value.LastUsed);
            var oldestSpare = sparesByFolder.Count == 0 ? default : sparesByFolder.MinBy(entry => entry.Value.LastUsed);
            if (oldestSpare.Value is null || (oldestSession.Value is not null && oldestSession.Value.LastUsed <= oldestSpare.Value.LastUsed))
            {
                log.Info($"Session {oldestSession.Key}: closing its claude (pid {oldestSession.Value!.Process.ProcessId}), the least recently used of {options.MaxProcesses} live processes.");
                bySession.Remove(oldestSession.Key);
                evicted.Add(RetireAsync(oldestSession.Value));
            }
            else
            {
                sparesByFolder.Remove(oldestSpare.Key);
                evicted.Add(RetireAsync(oldestSpare.Value));
            }
        }

        return Task.WhenAll(evicted);
    }

    /// <summary>Closes a waiting process in the background. Called under the gate.</summary>
    private Task RetireAsync(Waiting waiting)
    {
        closing.RemoveAll(task => task.IsCompleted);
        var close = Task.Run(() => CloseAsync(waiting));
        closing.Add(close);
        return close;
    }

    /// <summary>
    /// Closes a waiting process the safe way. A closing CLI appends its bookkeeping lines (<c>last-prompt</c>,
    /// <c>cost-state</c>), never conversation lines, and needs no session lock (taking one could wait on a turn of
    /// this very server). Those lines must not change what the transcript says about the session: it keeps the
    /// modification time of its last turn (listings sort by it), and a transcript deleted meanwhile is not brought
    /// back as a stub of bookkeeping lines.
    /// </summary>
    private async Task CloseAsync(Waiting waiting)
    {
        if (waiting.TranscriptPath is not { } path)
        {
            await waiting.Process.DisposeAsync();
            return;
        }

        var before = TranscriptFingerprint.Take(path);
        await waiting.Process.DisposeAsync();
        try
        {
            if (before.Size < 0 && File.Exists(path))
            {
                log.Info($"Removing {path}: its transcript was gone, and only the closing claude (pid {waiting.Process.ProcessId}) wrote to it.");
                File.Delete(path);
            }
            else if (before.Equals(waiting.Left) && File.Exists(path))
            {
                File.SetLastWriteTimeUtc(path, waiting.Left.Modified);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Warning($"After closing claude (pid {waiting.Process.ProcessId}): {exception.Message}");
        }
    }

    private sealed record Waiting(CliProcess Process, string? TranscriptPath, TranscriptFingerprint Left, DateTimeOffset LastUsed)
    {
        public DateTimeOffset LastUsed { get; set; } = LastUsed;

        /// <summary>A spare prepared for the session id a face chose: only the create naming that id takes it.</summary>
        public string? ReservedId { get; init; }

        /// <summary>Whether a create naming <paramref name="sessionId"/> (null: none) may take this spare.</summary>
        public bool Fits(string? sessionId) => ReservedId == sessionId;
    }
}

/// <summary>A transcript as a process left it: its size, modification time and last bytes (the end of its last line).</summary>
internal readonly record struct TranscriptFingerprint(long Size, DateTime Modified, string Tail)
{
    private const int TailBytes = 4096;

    public static TranscriptFingerprint Take(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = file.Length;
            var tail = new byte[(int)Math.Min(length, TailBytes)];
            file.Seek(length - tail.Length, SeekOrigin.Begin);
            file.ReadExactly(tail);
            return new TranscriptFingerprint(length, File.GetLastWriteTimeUtc(path), Convert.ToBase64String(tail));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Gone or unreadable: a fingerprint no transcript matches.
            return new TranscriptFingerprint(-1, default, string.Empty);
        }
    }
}
