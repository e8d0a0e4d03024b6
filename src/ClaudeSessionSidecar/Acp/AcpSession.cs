using System.Collections.Concurrent;

namespace ClaudeSessionSidecar.Acp;

/// <summary>A session this connection has open (made with <c>session/new</c>, or opened with <c>session/load</c> or <c>session/resume</c>).</summary>
internal sealed class AcpSession(string sessionId, string workingDirectory, bool started)
{
    private readonly object gate = new();
    private PromptRun? running;

    public string SessionId { get; } = sessionId;

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>False until the CLI has started the session (a <c>session/new</c> whose first prompt has not run): that prompt creates it.</summary>
    public bool Started { get; set; } = started;

    /// <summary>The client's MCP servers, as the CLI's <c>--mcp-config</c> JSON; null for none.</summary>
    public string? McpConfig { get; set; }

    /// <summary>The CLI permission mode of the next turns (<c>session/set_mode</c>).</summary>
    public string ModeId { get; set; } = AcpModes.Default;

    /// <summary>The model config option's value (<see cref="AcpConfigOptions.Models"/>).</summary>
    public string ModelId { get; set; } = AcpConfigOptions.DefaultModel;

    /// <summary>Tools the client allowed or rejected "always": asked no more in this session.</summary>
    public ConcurrentDictionary<string, bool> AlwaysDecided { get; } = new(StringComparer.Ordinal);

    /// <summary>Starts a prompt run; null when one runs already (one turn at a time per session).</summary>
    public PromptRun? TryBeginPrompt()
    {
        lock (gate)
        {
            if (running is not null)
            {
                return null;
            }

            running = new PromptRun();
            return running;
        }
    }

    public void EndPrompt(PromptRun run)
    {
        lock (gate)
        {
            if (running == run)
            {
                running = null;
            }
        }

        run.Finished.TrySetResult();
        run.Cancellation.Dispose();
    }

    /// <summary>Cancels the running prompt, if any, and waits for it to answer.</summary>
    public async Task CancelAndWaitAsync()
    {
        PromptRun? run;
        lock (gate)
        {
            run = running;
        }

        if (run is not null)
        {
            run.Cancel();
            await run.Finished.Task;
        }
    }

    public void CancelPrompt()
    {
        lock (gate)
        {
            running?.Cancel();
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
