namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// Gives memory back after large input. The runtime collects only when the program allocates, so the garbage of a
/// burst of large messages would stay in RSS for as long as the editor then sits idle. Once a second passes without
/// another large message, one aggressive collection runs (milliseconds: this server's live heap is small).
/// </summary>
internal sealed class LargeInputCollector : IDisposable
{
    public const int LargeBytes = 1024 * 1024;

    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    private readonly Timer timer = new(_ => Collect());

    /// <summary>Notes a message (or a skipped one) of <paramref name="bytes"/>; a large one (re)starts the quiet second.</summary>
    public void Saw(long bytes)
    {
        if (bytes >= LargeBytes)
        {
            timer.Change(Quiet, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => timer.Dispose();

    // Aggressive: compacts every generation and decommits the freed memory at once (a plain full collection keeps
    // freed regions committed until many later collections have passed).
    private static void Collect() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
