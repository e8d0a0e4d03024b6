using ClaudeSessionSidecar.Engine.Cli;
using System.Collections.Concurrent;

namespace ClaudeSessionSidecar.Acp;

/// <summary>A session this connection has open (made with <c>session/new</c>, or opened with <c>session/load</c> or <c>session/resume</c>).</summary>
internal sealed class AcpSession(string sessionId, string workingDirectory, bool started)
{
    private readonly object gate = new();

    /// <summary>The prompts of the session in the order they came: the running one first, then the queued ones.</summary>
    private readonly LinkedList<PromptRun> runs = new();

    public string SessionId { get; } = sessionId;

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>False until the CLI has started the session (a <c>session/new</c> whose first prompt has not run): that prompt creates it.</summary>
    public bool Started { get; set; } = started;

    /// <summary>The client's MCP servers, as the CLI's <c>--mcp-config</c> JSON; null for none.</summary>
    public string? McpConfig { get; set; }

    /// <summary>The CLI permission mode of the next turns (<c>session/set_mode</c>).</summary>
    public string ModeId { get; set; } = AcpModes.Default;

    /// <summary>The model config option's value (one of <see cref="AcpConfigOptions.ModelsOf"/>).</summary>
    public string ModelId { get; set; } = AcpConfigOptions.DefaultModel;

    /// <summary>The models the CLI reported for the session's folder; null until it has.</summary>
    public IReadOnlyList<CliModel>? Models { get; set; }

    /// <summary>Tools the client allowed or rejected "always": asked no more in this session.</summary>
    public ConcurrentDictionary<string, bool> AlwaysDecided { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Queues a prompt run behind the session's running and queued ones (one turn at a time per session, in the order
    /// the prompts came) and resolves when its turn comes. A run cancelled while it waits still waits for the runs
    /// before it, so that no turn starts while an earlier one is still stopping.
    /// </summary>
    public async Task<PromptRun> EnqueuePromptAsync()
    {
        var run = new PromptRun();
        Task? before;
        lock (gate)
        {
            before = runs.Last?.Value.Finished.Task;
            runs.AddLast(run);
        }

        if (before is not null)
        {
            await before;
        }

        return run;
    }

    public void EndPrompt(PromptRun run)
    {
        lock (gate)
        {
            runs.Remove(run);
        }

        run.Finished.TrySetResult();
        run.Cancellation.Dispose();
    }

    /// <summary>Cancels the running prompt and every queued one, and waits for them to answer.</summary>
    public async Task CancelAndWaitAsync()
    {
        PromptRun[] all;
        lock (gate)
        {
            all = [.. runs];
        }

        foreach (var run in all)
        {
            run.Cancel();
        }

        await Task.WhenAll(all.Select(run => run.Finished.Task));
    }

    /// <summary>Cancels the running prompt and every queued one (each then answers <c>cancelled</c>).</summary>
    public void CancelPrompt()
    {
        lock (gate)
        {
            foreach (var run in runs)
            {
                run.Cancel();
            }
        }
    }

    /// <summary>One <c>session/prompt</c> in progress. Once cancelled it answers <c>cancelled</c>, whatever the turn did.</summary>
    internal sealed class PromptRun
    {
        private volatile bool cancelRequested;

        public CancellationTokenSource Cancellation { get; } = new();

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool CancelRequested => cancelRequested;

        public void Cancel()
        {
            cancelRequested = true;
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It has ended meanwhile.
            }
        }
    }
}
