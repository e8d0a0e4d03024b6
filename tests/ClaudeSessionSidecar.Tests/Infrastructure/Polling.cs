namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>Waiting for a condition in tests: it either comes true in time or the test fails saying what it waited for.</summary>
public static class Polling
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string waitingFor)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(Interval, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Waited {timeout.TotalSeconds:0.#} s for {waitingFor}, in vain.");
            }
        }
    }
}
