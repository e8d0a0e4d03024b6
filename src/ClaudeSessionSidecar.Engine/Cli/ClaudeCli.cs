using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>
/// Runs turns of the real Claude Code CLI in stream-json mode.
/// The one rule that keeps sessions alive: every message is read up to the <c>result</c> and the process's exit.
/// Stopping early is done the way the CLI survives: interrupt request, then polite signals, SIGKILL last.
/// </summary>
public sealed class ClaudeCli(ClaudeCliOptions options, ISidecarLog log)
{
    private const int StderrTailLength = 4096;

    /// <summary>The longest stdout line taken from the CLI (16 Mi characters); a longer one is skipped and reported.</summary>
    public const int MaxLineChars = 16 * 1024 * 1024;

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public ClaudeCliOptions Options { get; } = options;

    /// <summary>Runs one turn to its end.</summary>
    /// <param name="cancellationToken">Stops the turn the safe way; the outcome then has <see cref="CliTurnOutcome.Cancelled"/> set.</param>
    /// <exception cref="CliNotFoundException">The executable is missing or cannot be started.</exception>
    /// <exception cref="CliFailedException">The CLI ended without a result, failed before announcing a session, or timed out.</exception>
    public async Task<CliTurnOutcome> RunTurnAsync(CliTurnRequest request, ITurnObserver observer, CancellationToken cancellationToken)
    {
        using var process = Start(request);
        var stderrTail = new TailBuffer(StderrTailLength);
        var stderrPump = PumpStderrAsync(process, stderrTail);
        var turn = new TurnState();

        try
        {
            await WriteLineAsync(process, turn, UserMessage(request.Prompt));

            using var timeout = new CancellationTokenSource(Options.TurnTimeout);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            turn.Stopping = stop.Token;
            using var stopRegistration = stop.Token.Register(() =>
            {
                // A stop that comes after the result changes nothing about the turn.
                turn.StopRequestedBeforeResult = turn.Result is null;
                turn.StopRequested = StopTurnAsync(process, turn);
            });

            await ReadStdoutAsync(process, observer, turn);

            // After the result, closing stdin lets the CLI write its transcript and exit by itself.
            await Task.WhenAll(turn.PendingControl);
            await CloseStdinAsync(process, turn);
            await WaitForExitPolitelyAsync(process, turn);
            if (turn.StopRequested is { } stopping)
            {
                await stopping;
            }

            await stderrPump;

            // A stop counts only when it cut the turn short: a turn that reached its success anyway says so.
            var stopped = turn.StopRequestedBeforeResult && !turn.EndedInSuccess;
            if (stopped && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Failure(CliFailureKind.TimedOut, $"The turn ran longer than {Options.TurnTimeout.TotalSeconds:0.###} s and was stopped.", process, stderrTail, turn);
            }

            var cancelled = stopped && cancellationToken.IsCancellationRequested;
            if (turn.SessionId is null)
            {
                throw turn.Result is null
                    ? Failure(CliFailureKind.ExitedWithoutResult, "The CLI exited without announcing a session.", process, stderrTail, turn)
                    : Failure(CliFailureKind.ErrorBeforeInit, "The CLI reported an error before announcing a session.", process, stderrTail, turn);
            }

            if (turn.Result is null && !cancelled)
            {
                throw Failure(CliFailureKind.ExitedWithoutResult, "The CLI exited before the turn's result.", process, stderrTail, turn);
            }

            if (turn.WritesLost is { } lostWrites)
            {
                turn.Problems.Insert(0, $"session_writes_lost: {(string?)lostWrites["error_code"]} ({string.Join(", ", lostWrites["lost"]!.Values<string>())})");
                throw Failure(CliFailureKind.WritesLost, "The CLI could not save the session's transcript; resuming it may miss part of the conversation.", process, stderrTail, turn);
            }

            return new CliTurnOutcome
            {
                SessionId = turn.SessionId,
                Result = turn.Result,
                ExitCode = process.HasExited ? process.ExitCode : null,
                Cancelled = cancelled,
            };
        }
        finally
        {
            // Reached with the process still running only when the observer or a write threw: never leave it orphaned mid-write.
            if (!process.HasExited)
            {
                await StopTurnAsync(process, turn);
            }
        }
    }

    private Process Start(CliTurnRequest request)
    {
        if (Options.ExecutablePath is null)
        {
            throw new CliNotFoundException("The Claude Code CLI was not found: pass --claude-path, set CLAUDE_SIDECAR_CLAUDE_PATH, or put `claude` on PATH.");
        }

        var startInfo = new ProcessStartInfo(Options.ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8NoBom,
            StandardOutputEncoding = Utf8NoBom,
            StandardErrorEncoding = Utf8NoBom,
            WorkingDirectory = request.WorkingDirectory,
        };

        // The prompt never goes on the command line: it is written on stdin, so no prompt is ever read as a flag.
        foreach (var argument in BuildArguments(request))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Options.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        if (Options.ConfigDirectoryOverride is { } configDirectory)
        {
            startInfo.Environment["CLAUDE_CONFIG_DIR"] = configDirectory;
        }

        try
        {
            var process = Process.Start(startInfo) ?? throw new CliNotFoundException($"The Claude Code CLI at {Options.ExecutablePath} could not be started.");
            log.Debug($"Started claude (pid {process.Id}) in {request.WorkingDirectory}: {string.Join(' ', startInfo.ArgumentList)}");
            return process;
        }
        catch (Win32Exception exception)
        {
            throw new CliNotFoundException($"The Claude Code CLI at {Options.ExecutablePath} could not be started: {exception.Message}", exception);
        }
    }

    internal static IReadOnlyList<string> BuildArguments(CliTurnRequest request)
    {
        // Tool permission questions come to the host on stdout (can_use_tool) instead of being denied silently.
        var arguments = new List<string> { "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--permission-prompt-tool", "stdio" };
        if (request.ResumeSessionId is { } sessionId)
        {
            arguments.AddRange(["--resume", sessionId]);
            if (request.ForkSession)
            {
                arguments.Add("--fork-session");
            }
        }

        if (request.IncludePartialMessages)
        {
            arguments.Add("--include-partial-messages");
        }

        if (request.Model is { } model)
        {
            arguments.AddRange(["--model", model]);
        }

        if (request.PermissionMode is { } permissionMode)
        {
            arguments.AddRange(["--permission-mode", permissionMode]);
        }

        return arguments;
    }

    private static string UserMessage(string prompt) => new JObject
    {
        ["type"] = "user",
        ["message"] = new JObject { ["role"] = "user", ["content"] = prompt },
        ["parent_tool_use_id"] = null,
        ["session_id"] = string.Empty,
    }.ToString(Formatting.None);

    private static string InterruptRequest(string requestId) => new JObject
    {
        ["type"] = "control_request",
        ["request_id"] = requestId,
        ["request"] = new JObject { ["subtype"] = "interrupt" },
    }.ToString(Formatting.None);

    private async Task ReadStdoutAsync(Process process, ITurnObserver observer, TurnState turn)
    {
        var stdout = new BoundedLineReader(process.StandardOutput, MaxLineChars);
        while (await stdout.ReadLineAsync() is var (line, skipped) && (line is not null || skipped > 0))
        {
            if (line is null)
            {
                turn.Problems.Add($"a line of {skipped} characters, over the limit of {MaxLineChars}, was skipped");
                log.Warning($"claude (pid {process.Id}) printed a line of {skipped} characters; skipped.");
                continue;
            }

            if (line.Length == 0)
            {
                continue;
            }

            // Dates stay strings: messages are forwarded verbatim, and a parsed date would come back reformatted.
            var message = Transcripts.TranscriptLines.TryParseObject(line);
            if (message is null)
            {
                turn.Problems.Add("not JSON: " + (line.Length > 200 ? line[..200] + "…" : line));
                log.Warning($"claude (pid {process.Id}) printed a line that is not a JSON object ({line.Length} chars); skipped.");
                continue;
            }

            var type = (string?)message["type"];
            if (turn.SessionId is null && type == "system" && (string?)message["subtype"] == "init" && message["session_id"]?.Type == JTokenType.String)
            {
                turn.SessionId = (string)message["session_id"]!;
                turn.SessionAnnounced.TrySetResult();
                await NotifyObserverAsync(() => observer.OnSessionStartedAsync(turn.SessionId));
            }

            if (type == "result")
            {
                turn.Result = message;
                turn.ResultSeen.TrySetResult();
            }

            if (type == "control_response" && turn.InterruptRequestId is { } interruptId && (string?)message["response"]?["request_id"] == interruptId)
            {
                turn.InterruptAcknowledged.TrySetResult();
            }

            if (type == "system" && (string?)message["subtype"] == "session_writes_lost" && message["lost"] is JArray lost && lost.Any(item => (string?)item == "transcript"))
            {
                turn.WritesLost = message;
            }

            if (type == "control_request" && turn.SessionId is not null)
            {
                turn.PendingControl.Add(AnswerControlRequestAsync(process, observer, turn, message));
            }

            if (turn.SessionId is not null)
            {
                await NotifyObserverAsync(() => observer.OnMessageAsync(turn.SessionId, message));
            }

            if (type == "result")
            {
                // One prompt, one result: the turn is over. The process exits once stdin closes.
                return;
            }
        }
    }

    /// <summary>Answers a control request from the CLI; only <c>can_use_tool</c> is understood, the rest get an error answer so the CLI never waits.</summary>
    private async Task AnswerControlRequestAsync(Process process, ITurnObserver observer, TurnState turn, JObject message)
    {
        var requestId = (string?)message["request_id"];
        var request = message["request"] as JObject;
        JObject response;
        if ((string?)request?["subtype"] == "can_use_tool")
        {
            var permission = new PermissionRequest(
                (string?)request!["tool_name"] ?? string.Empty,
                request["input"] as JObject ?? [],
                (string?)request["tool_use_id"],
                (string?)request["description"],
                request);
            PermissionDecision decision;
            try
            {
                // The turn never waits on the editor once it is being stopped: a client that neither answers nor
                // acknowledges a cancel (or has gone away) must not hold the CLI's question open.
                decision = await observer.RequestPermissionAsync(turn.SessionId!, permission, turn.Stopping).AsTask().WaitAsync(turn.Stopping);
            }
            catch (Exception exception)
            {
                log.Warning($"Permission request for {permission.ToolName} failed, so it is denied: {exception.Message}");
                decision = PermissionDecision.Deny("The host could not ask for permission.");
            }

            var answer = decision.Allow
                ? new JObject { ["behavior"] = "allow", ["updatedInput"] = decision.UpdatedInput ?? permission.Input }
                : new JObject { ["behavior"] = "deny", ["message"] = decision.Message ?? "Denied by the host." };
            response = new JObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = answer };
        }
        else
        {
            response = new JObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = $"The host does not support {(string?)request?["subtype"]}." };
        }

        await WriteLineAsync(process, turn, new JObject { ["type"] = "control_response", ["response"] = response }.ToString(Formatting.None));
    }

    /// <summary>
    /// A failing observer (say, a client that went away) must not stop the reading: a CLI whose stdout is
    /// not drained blocks, and a CLI stopped before its result may lose the session.
    /// </summary>
    private async Task NotifyObserverAsync(Func<ValueTask> notify)
    {
        try
        {
            await notify();
        }
        catch (Exception exception)
        {
            log.Warning($"A turn observer failed; the turn goes on. {exception.GetType().Name}: {exception.Message}");
        }
    }

    private static async Task WriteLineAsync(Process process, TurnState turn, string line)
    {
        var writer = process.StandardInput;
        await turn.StdinLock.WaitAsync();
        try
        {
            await writer.WriteLineAsync(line);
            await writer.FlushAsync();
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The CLI closed its stdin (it exited early, or the turn is over); what it said on stdout and stderr tells why.
        }
        finally
        {
            turn.StdinLock.Release();
        }
    }

    private static async Task CloseStdinAsync(Process process, TurnState turn)
    {
        await turn.StdinLock.WaitAsync();
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone with the process.
        }
        finally
        {
            turn.StdinLock.Release();
        }
    }

    /// <summary>
    /// The safe way to stop a turn: ask the CLI to interrupt (it ends the turn with a result and keeps the transcript),
    /// then close stdin, then SIGINT, then SIGTERM, and SIGKILL only when all of those were ignored.
    /// </summary>
    /// <remarks>
    /// The interrupt goes in at any moment before the result, even before the CLI has said <c>init</c>: the CLI reads
    /// it once it is up and ends the turn then. Closing stdin instead would not stop it: a CLI whose stdin closes
    /// after a user message runs that turn to its end.
    /// </remarks>
    private async Task StopTurnAsync(Process process, TurnState turn)
    {
        if (process.HasExited)
        {
            return;
        }

        if (turn.Result is null && turn.InterruptRequestId is null)
        {
            log.Info($"Stopping claude (pid {process.Id}) with an interrupt request.");
            turn.InterruptRequestId = "sidecar-interrupt-" + Guid.NewGuid().ToString("N");
            await WriteLineAsync(process, turn, InterruptRequest(turn.InterruptRequestId));
            if (await WaitForInterruptedAsync(process, turn))
            {
                return;
            }
        }

        await CloseStdinAsync(process, turn);
        if (await WaitForExitAsync(process, Options.StopGracePeriod))
        {
            return;
        }

        foreach (var signal in new[] { PosixSignals.SigInt, PosixSignals.SigTerm })
        {
            log.Info($"Sending signal {signal} to claude (pid {process.Id}).");
            if (PosixSignals.Send(process.Id, signal) && await WaitForExitAsync(process, Options.StopGracePeriod))
            {
                return;
            }
        }

        log.Warning($"claude (pid {process.Id}) ignored every polite stop; killing it.");
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }
    }

    /// <summary>
    /// Waits for the interrupted turn's result (or the process's exit). The grace period counts from the moment the
    /// CLI takes the interrupt, so a CLI still starting up (slow under load) is given the time to start first.
    /// </summary>
    private async Task<bool> WaitForInterruptedAsync(Process process, TurnState turn)
    {
        var ended = Task.WhenAny(turn.ResultSeen.Task, process.WaitForExitAsync());
        var takenUp = Task.WhenAny(turn.InterruptAcknowledged.Task, turn.SessionAnnounced.Task);
        if (await Task.WhenAny(ended, takenUp, Task.Delay(Options.StartupAllowance)) == ended)
        {
            return true;
        }

        return await Task.WhenAny(ended, Task.Delay(Options.StopGracePeriod)) == ended;
    }

    private async Task WaitForExitPolitelyAsync(Process process, TurnState turn)
    {
        if (!await WaitForExitAsync(process, Options.StopGracePeriod))
        {
            await StopTurnAsync(process, turn);
        }

        await process.WaitForExitAsync();
    }

    private static async Task<bool> WaitForExitAsync(Process process, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task PumpStderrAsync(Process process, TailBuffer tail)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await process.StandardError.ReadAsync(buffer)) > 0)
        {
            tail.Append(buffer.AsSpan(0, read));
        }
    }

    private static CliFailedException Failure(CliFailureKind kind, string message, Process process, TailBuffer stderrTail, TurnState turn)
    {
        var errors = new List<string>();
        if (turn.Result?["errors"] is JArray reported)
        {
            errors.AddRange(reported.Select(error => error.Type == JTokenType.String ? (string)error! : error.ToString(Formatting.None)));
        }
        else if (turn.Result?["result"] is JValue { Type: JTokenType.String } text && turn.Result["is_error"]?.Value<bool>() == true)
        {
            errors.Add((string)text!);
        }

        errors.AddRange(turn.Problems);
        var stderr = stderrTail.ToString();
        var exitCode = process.HasExited ? process.ExitCode : (int?)null;
        var detail = errors.Count > 0 ? errors[0] : LastLine(stderr);
        var fullMessage = string.IsNullOrEmpty(detail) ? message : $"{message} {detail}";
        return new CliFailedException(kind, fullMessage, exitCode, stderr, errors, turn.SessionId);
    }

    private static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? string.Empty : lines[^1];
    }

    private sealed class TurnState
    {
        public string? SessionId { get; set; }

        public JObject? Result { get; set; }

        /// <summary>What went wrong on the way that the CLI did not put in its result: lines that were not JSON, lines over the cap, lost writes.</summary>
        public List<string> Problems { get; } = [];

        /// <summary>The CLI's <c>session_writes_lost</c> message, when the transcript could not be saved (disk full).</summary>
        public JObject? WritesLost { get; set; }

        /// <summary>Serializes writes to this CLI's stdin: the prompt, permission answers and interrupts come from different tasks.</summary>
        public SemaphoreSlim StdinLock { get; } = new(1, 1);

        /// <summary>Control requests being answered (a person may be deciding on a permission).</summary>
        public List<Task> PendingControl { get; } = [];

        /// <summary>Cancelled when the turn is being stopped: pending questions are then denied.</summary>
        public CancellationToken Stopping { get; set; }

        public Task? StopRequested { get; set; }

        /// <summary>True when a cancellation or the timeout asked to stop the turn before its result.</summary>
        public bool StopRequestedBeforeResult { get; set; }

        /// <summary>The turn's result says it finished its work (<c>subtype: success</c>), stop or no stop.</summary>
        public bool EndedInSuccess => Result is { } result && (string?)result["subtype"] == "success";

        /// <summary>The id of the interrupt request sent to stop the turn; null until one is sent.</summary>
        public string? InterruptRequestId { get; set; }

        public TaskCompletionSource SessionAnnounced { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ResultSeen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The CLI answered the interrupt request: it is up, and the turn's end is near.</summary>
        public TaskCompletionSource InterruptAcknowledged { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Keeps the last N characters written to it.</summary>
    private sealed class TailBuffer(int capacity)
    {
        private readonly StringBuilder text = new();

        public void Append(ReadOnlySpan<char> chunk)
        {
            lock (text)
            {
                text.Append(chunk);
                if (text.Length > capacity * 2)
                {
                    text.Remove(0, text.Length - capacity);
                }
            }
        }

        public override string ToString()
        {
            lock (text)
            {
                return text.Length > capacity ? text.ToString(text.Length - capacity, capacity) : text.ToString();
            }
        }
    }
}
