using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Npgsql;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Postgres;

/// <summary>A machine of the multi-machine tests: a server over real stdio on a PostgreSQL store, with its own CLI config folder.</summary>
internal sealed class Machine : IAsyncDisposable
{
    private readonly string store;
    private readonly string? localStore;
    private readonly string[] extraArguments;

    /// <param name="localStore">The local store's folder; null for this machine's own.</param>
    /// <param name="extraArguments">More of the server's options (<c>--live-sessions 0</c>, say).</param>
    public Machine(string name, string store, string apiBaseUrl, ITestOutputHelper output, string? localStore = null, params string[] extraArguments)
    {
        Name = name;
        this.store = store;
        this.localStore = localStore;
        this.extraArguments = extraArguments;
        Environment = new TestEnvironment(apiBaseUrl);
        Log = new CapturingOutput(output, name);
        Server = Launch();
    }

    public string Name { get; }

    public TestEnvironment Environment { get; }

    /// <summary>The servers' stderr, also in the test's output.</summary>
    public CapturingOutput Log { get; }

    public ServerProcess Server { get; private set; }

    /// <summary>Another server process on this machine's folders.</summary>
    public ServerProcess Launch() => ServerProcess.Start(Environment, Log, extraArguments:
        ["--store", store, "--local-store", localStore ?? Environment.StoreDirectory, "--claude-config-dir", Environment.ConfigDirectory, .. extraArguments]);

    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = Launch();
    }

    /// <summary>Where the CLI's path rule puts the session's transcript on this machine.</summary>
    public string TranscriptPath(string sessionId, string workingDirectory) =>
        Path.Combine(Environment.ProjectsDirectory, ProjectDirectoryName.Encode(workingDirectory), sessionId + ".jsonl");

    public Task<JToken> CallAsync(string method, object parameters) => Server.InvokeAsync(method, parameters).WaitAsync(TimeSpan.FromSeconds(90));

    public Task<RpcError> FailAsync(string method, object parameters) => Server.InvokeExpectingErrorAsync(method, parameters).WaitAsync(TimeSpan.FromSeconds(90));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Environment.Dispose();
    }
}

/// <summary>Passes a server's stderr to the test's output, marked with the machine's name, and keeps it.</summary>
internal sealed class CapturingOutput(ITestOutputHelper inner, string name) : ITestOutputHelper
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public void WriteLine(string message)
    {
        Lines.Enqueue(message);
        try
        {
            inner.WriteLine($"[{name}] {message}");
        }
        catch (InvalidOperationException)
        {
            // The test has ended.
        }
    }

    public void WriteLine(string format, params object[] args) => WriteLine(string.Format(CultureInfo.InvariantCulture, format, args));
}

/// <summary>The steps and checks the multi-machine tests share: turns through a machine's server, and the store's lines.</summary>
internal static class MultiMachineSteps
{
    /// <summary>How long the background retry (every 5 s) and a busy machine may take to make a change visible.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task<string> CreateAsync(Machine machine, string workingDirectory, string prompt, string? userId = null)
    {
        var parameters = new JObject { ["workingDirectory"] = workingDirectory, ["prompt"] = prompt };
        if (userId is not null)
        {
            parameters["userId"] = userId;
        }

        var created = await machine.CallAsync("session/create", parameters);
        Assert.Equal(FakeMessagesApi.ReplyTo(prompt), (string?)created["result"]!["text"]);
        Assert.True((bool)created["mirrored"]!, created.ToString());
        return (string)created["sessionId"]!;
    }

    public static async Task<JToken> ResumeAsync(Machine machine, string sessionId, string prompt)
    {
        var resumed = await machine.CallAsync("session/resume", new { sessionId, prompt });
        Assert.False((bool)resumed["result"]!["isError"]!, resumed.ToString());
        return resumed;
    }

    /// <summary>The conversation of turns with these prompts, as <see cref="ConversationAsync"/> shows it.</summary>
    public static List<string> Conversation(params string[] prompts) =>
        prompts.SelectMany(prompt => new[] { "user: " + prompt, "assistant: " + FakeMessagesApi.ReplyTo(prompt) }).ToList();

    /// <summary>The machine's session/messages, one "type: text" a message.</summary>
    public static async Task<List<string>> ConversationAsync(Machine machine, string sessionId) =>
        (await machine.CallAsync("session/messages", new { sessionId }))["messages"]!
            .Select(message => $"{(string?)message["type"]}: {TextOf(message["message"]!["content"])}")
            .ToList();

    public static string TextOf(JToken? content) => content switch
    {
        JValue text => (string?)text ?? string.Empty,
        JArray blocks => string.Concat(blocks.OfType<JObject>().Where(block => (string?)block["type"] == "text").Select(block => (string?)block["text"])),
        _ => string.Empty,
    };

    /// <summary>The last request the fake model got for this prompt.</summary>
    public static JObject LastRequest(FakeMessagesApi api, string prompt) => api.Requests.Last(request => FakeMessagesApi.PromptOf(request) == prompt);

    /// <summary>
    /// Starts a resume of the session on the machine, and waits until the CLI has written its prompt to the transcript
    /// (the turn then holds the session's lock); the task answers when the turn ends.
    /// </summary>
    public static async Task<Task<JToken>> StartTurnAsync(Machine machine, string sessionId, string workingDirectory, string prompt)
    {
        var running = machine.Server.InvokeAsync("session/resume", new { sessionId, prompt });
        var transcript = machine.TranscriptPath(sessionId, workingDirectory);
        await Polling.WaitUntilAsync(() => File.Exists(transcript) && File.ReadAllText(transcript).Contains(prompt, StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"'{prompt}' in {transcript}");
        return running;
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string waitingFor)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > Deadline)
            {
                Assert.Fail($"Waited {Deadline.TotalSeconds:0} s for {waitingFor}, in vain.");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>A transcript file's entries as the store keeps them: every line but the CLI's <c>api-request*</c> cache lines, compacted.</summary>
    public static List<string> LocalEntries(string path) =>
        File.ReadAllLines(path)
            .Where(line => line.Length > 0)
            .Select(line => (JObject)TranscriptLines.Parse(line))
            .Where(entry => !((string?)entry["type"] ?? string.Empty).StartsWith("api-request", StringComparison.Ordinal))
            .Select(entry => entry.ToString(Formatting.None))
            .ToList();

    /// <summary>The store's lines of the session's main transcript, in order, compacted.</summary>
    public static async Task<List<string>> StoredEntriesAsync(string connectionString, string sessionId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT entry::text FROM sidecar_transcript_entries WHERE session_id = @id AND subpath = '' ORDER BY seq", connection);
        command.Parameters.AddWithValue("id", sessionId);
        await using var reader = await command.ExecuteReaderAsync();
        var entries = new List<string>();
        while (await reader.ReadAsync())
        {
            entries.Add(TranscriptLines.Parse(reader.GetString(0)).ToString(Formatting.None));
        }

        return entries;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs a command to its end (at most two minutes).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] arguments, IDictionary<string, string?> variables, string workingDirectory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        return await ChildProcess.RunToEndAsync(start);
    }
}
