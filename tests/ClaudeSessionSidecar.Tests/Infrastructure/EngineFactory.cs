using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Store;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>The engine in-process, wired to a test environment and the real CLI (or a scripted one).</summary>
public static class EngineFactory
{
    public static ClaudeCli Cli(TestEnvironment environment, ITestOutputHelper? output = null, string? claudePath = null, TimeSpan? turnTimeout = null) => new(
        new ClaudeCliOptions
        {
            ExecutablePath = claudePath ?? RealClaudeCli.Path,
            ConfigDirectoryOverride = environment.ConfigDirectory,
            Environment = new Dictionary<string, string?>(environment.Variables()),
            TurnTimeout = turnTimeout ?? TimeSpan.FromMinutes(2),
            StopGracePeriod = TimeSpan.FromSeconds(3),
        },
        new TestLog(output));

    public static SessionService Sessions(TestEnvironment environment, ITestOutputHelper? output = null, string? claudePath = null) => new(
        Cli(environment, output, claudePath),
        new TranscriptLocator(new ClaudeConfigDirectory(environment.ConfigDirectory, IsCliDefault: false)),
        SessionStore.Open(environment.StoreDirectory),
        new TestLog(output));

    /// <summary>Runs one turn of the real CLI directly, with no server or store involved.</summary>
    public static Task<CliTurnOutcome> RunTurnAsync(TestEnvironment environment, string workingDirectory, string prompt, string? resume = null, ITestOutputHelper? output = null) =>
        Cli(environment, output).RunTurnAsync(new CliTurnRequest(workingDirectory, prompt, resume), new RecordingObserver(), CancellationToken.None);
}

/// <summary>Keeps what a turn streamed.</summary>
public sealed class RecordingObserver : ITurnObserver
{
    public List<JObject> Messages { get; } = [];

    public string? AnnouncedSessionId { get; private set; }

    public ValueTask OnSessionStartedAsync(string sessionId)
    {
        AnnouncedSessionId = sessionId;
        return ValueTask.CompletedTask;
    }

    public ValueTask OnMessageAsync(string sessionId, JObject message)
    {
        lock (Messages)
        {
            Messages.Add(message);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The engine's log, into the test's output.</summary>
public sealed class TestLog(ITestOutputHelper? output) : ISidecarLog
{
    public bool IsEnabled(LogLevel level) => output is not null;

    public void Write(LogLevel level, string message)
    {
        try
        {
            output?.WriteLine($"[{level}] {message}");
        }
        catch (InvalidOperationException)
        {
            // Logged after the test ended.
        }
    }
}
