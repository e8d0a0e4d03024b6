using System.Diagnostics;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>
/// One running Claude Code CLI in stream-json mode. It takes one turn after another for as long as its stdin stays
/// open, so a process may serve several turns of its session (a live session) or just one.
/// The one rule that keeps sessions alive: every message of a turn is read up to its <c>result</c>, and a process is
/// ended by closing its stdin (it then writes what it holds and exits), never by a plain kill.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private const int StderrTailLength = 4096;

    /// <summary>How long a switch of model or permission mode may take before the process counts as unhealthy.</summary>
    private static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long the CLI may take to answer <c>initialize</c> (it loads its commands, skills and MCP servers first).</summary>
    private static readonly TimeSpan InitializeTimeout = TimeSpan.FromSeconds(30);

    private readonly Process process;
    private readonly ClaudeCliOptions options;
    private readonly ISidecarLog log;
    private readonly BoundedLineReader stdout;
    private readonly TailBuffer stderrTail = new(StderrTailLength);
    private readonly Task stderrPump;

    /// <summary>Serializes writes to stdin: the prompt, permission answers and interrupts come from different tasks.</summary>
    private readonly SemaphoreSlim stdinLock = new(1, 1);
    private bool stdinClosed;
    private bool broken;
    private Task? closing;
    private Task<CliCapabilities?>? initializing;

    internal CliProcess(Process process, CliLaunch launch, ClaudeCliOptions options, ISidecarLog log)
    {
        this.process = process;
        this.options = options;
        this.log = log;
        Launch = launch;
        Model = launch.Model;
        PermissionMode = launch.PermissionMode;
        SessionId = launch.NewSessionId ?? (launch.ForkSession ? null : launch.ResumeSessionId);
        stdout = new BoundedLineReader(process.StandardOutput, ClaudeCli.MaxLineChars);
        stderrPump = PumpStderrAsync();
    }

    public int ProcessId => process.Id;

    /// <summary>What the process was started with.</summary>
    public CliLaunch Launch { get; }

    /// <summary>The session it works on: chosen up front, resumed, or announced by its first <c>init</c>.</summary>
    public string? SessionId { get; private set; }

    /// <summary>The model asked for (null: the CLI's default); switched between turns with a control request.</summary>
    public string? Model { get; private set; }

    /// <summary>The permission mode asked for (null: the CLI's default); switched between turns with a control request.</summary>
    public string? PermissionMode { get; private set; }

    /// <summary>Turns this process has run to their result.</summary>
    public int TurnsCompleted { get; private set; }

    /// <summary>Able to take another turn: running, stdin open, and its last turn ended cleanly with a result.</summary>
    public bool IsReusable => !broken && !stdinClosed && !process.HasExited;

    /// <summary>Runs one turn to its end.</summary>
    /// <param name="keepRunning">Leave the process running after the result, for the next turn of its session.</param>
    /// <param name="cancellationToken">Stops the turn the safe way; the outcome then has <see cref="CliTurnOutcome.Cancelled"/> set.</param>
    /// <exception cref="CliFailedException">The CLI ended without a result, failed before announcing a session, or timed out.</exception>
    /// <param name="prompt">The user message's content: a string, or the Messages API's content blocks (text, image).</param>
    public async Task<CliTurnOutcome> RunTurnAsync(JToken prompt, ITurnObserver observer, bool keepRunning, CancellationToken cancellationToken)
    {
        var turn = new TurnState();
        try
        {
            // stdout has one reader at a time: an initialize still on its way is read to its answer first.
            await (initializing ?? Task.CompletedTask);
            await WriteLineAsync(UserMessage(prompt));

            using var timeout = new CancellationTokenSource(options.TurnTimeout);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            turn.Stopping = stop.Token;
            using var stopRegistration = stop.Token.Register(() =>
            {
                // A stop that comes after the result changes nothing about the turn.
                turn.StopRequestedBeforeResult = turn.Result is null;
                turn.StopRequested = StopTurnAsync(turn);
            });

            await ReadTurnAsync(observer, turn);
            await Task.WhenAll(turn.PendingControl);
            if (turn.StopRequested is { } stopping)
            {
                await stopping;
            }

            if (turn.Result is null || turn.WritesLost is not null || turn.Problems.Count > 0)
            {
                broken = true;
            }

            if (!keepRunning || !IsReusable)
            {
                // After the result, closing stdin lets the CLI write its transcript and exit by itself.
                await CloseAsync();
                await stderrPump;
            }
            else
            {
                TurnsCompleted++;
            }

            // A stop counts only when it cut the turn short: a turn that reached its success anyway says so.
            var stopped = turn.StopRequestedBeforeResult && !turn.EndedInSuccess;
            if (stopped && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Failure(CliFailureKind.TimedOut, $"The turn ran longer than {options.TurnTimeout.TotalSeconds:0.###} s and was stopped.", turn);
            }

            var cancelled = stopped && cancellationToken.IsCancellationRequested;
            if (turn.SessionId is null)
            {
                throw turn.Result is null
                    ? Failure(CliFailureKind.ExitedWithoutResult, "The CLI exited without announcing a session.", turn)
                    : Failure(CliFailureKind.ErrorBeforeInit, "The CLI reported an error before announcing a session.", turn);
            }

            if (turn.Result is null && !cancelled)
            {
                throw Failure(CliFailureKind.ExitedWithoutResult, "The CLI exited before the turn's result.", turn);
            }

            if (turn.WritesLost is { } lostWrites)
            {
                turn.Problems.Insert(0, $"session_writes_lost: {(string?)lostWrites["error_code"]} ({string.Join(", ", lostWrites["lost"]!.Values<string>())})");
                throw Failure(CliFailureKind.WritesLost, "The CLI could not save the session's transcript; resuming it may miss part of the conversation.", turn);
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
            if (turn.Result is null && !process.HasExited)
            {
                broken = true;
                await StopTurnAsync(turn);
            }
        }
    }

    /// <summary>
    /// Sends the CLI the <c>initialize</c> control request, once, as the official SDKs do before their first prompt:
    /// the CLI then loads what it needs for a turn ahead of it (a spare's first turn answers sooner) and reports its
    /// commands and models. Null when it did not answer in time (the process is then not to be reused).
    /// </summary>
    public Task<CliCapabilities?> InitializeAsync()
    {
        lock (stdinLock)
        {
            return initializing ??= RequestCapabilitiesAsync();
        }
    }

    private async Task<CliCapabilities?> RequestCapabilitiesAsync()
    {
        // A CLI that does not know the request says so, and is still fit for its turn.
        var response = await ControlRequestAsync(new JObject { ["subtype"] = "initialize" }, InitializeTimeout, refusalBreaks: false);
        return response is null ? null : CliCapabilities.From(response);
    }

    /// <summary>Switches the model and the permission mode between turns with the CLI's own control requests.</summary>
    /// <returns>False when the CLI did not confirm both (the process is then not to be reused).</returns>
    public async Task<bool> SwitchAsync(string? model, string? permissionMode)
    {
        await (initializing ?? Task.CompletedTask);
        if (model != Model && await ControlRequestAsync(new JObject { ["subtype"] = "set_model", ["model"] = model ?? "default" }, SwitchTimeout) is null)
        {
            // The CLI takes "default" for its default model.
            return false;
        }

        if (permissionMode != PermissionMode && await ControlRequestAsync(new JObject { ["subtype"] = "set_permission_mode", ["mode"] = permissionMode ?? "default" }, SwitchTimeout) is null)
        {
            return false;
        }

        Model = model;
        PermissionMode = permissionMode;
        return true;
    }

    /// <summary>
    /// One control request between turns, and its answer (the <c>response</c> of a success). Null when the CLI refused
    /// it, exited or did not answer within <paramref name="within"/>: the process is then marked not to be reused
    /// (unless <paramref name="refusalBreaks"/> is false and the CLI only refused).
    /// </summary>
    private async Task<JObject?> ControlRequestAsync(JObject request, TimeSpan within, bool refusalBreaks = true)
    {
        var id = $"sidecar-{(string?)request["subtype"]}-{Guid.NewGuid():N}";
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await WriteLineAsync(new JObject { ["type"] = "control_request", ["request_id"] = id, ["request"] = request }.ToString(Formatting.None));
            while (true)
            {
                var (message, problem) = await ReadMessageAsync().WaitAsync(timeout.Token);
                if (message is null && problem is null)
                {
                    // The end of its stdout: it exited.
                    broken = true;
                    return null;
                }

                if ((string?)message?["type"] != "control_response" || (string?)message["response"]?["request_id"] != id)
                {
                    // Between turns the CLI only says what a switch did (a system status message): nothing for the client.
                    continue;
                }

                if ((string?)message["response"]?["subtype"] != "success")
                {
                    log.Warning($"claude (pid {process.Id}) refused {(string?)request["subtype"]}: {message.ToString(Formatting.None)}");
                    broken |= refusalBreaks;
                    return null;
                }

                return message["response"]?["response"] as JObject ?? [];
            }
        }
        catch (OperationCanceledException)
        {
            log.Warning($"claude (pid {process.Id}) did not answer {(string?)request["subtype"]} within {within.TotalSeconds:0.###} s.");
            broken = true;
            return null;
        }
    }

    /// <summary>
    /// Ends the process the safe way: close stdin (the CLI saves what it holds and exits), then SIGINT, SIGTERM,
    /// and SIGKILL only when all of those were ignored, each after the stop grace period.
    /// </summary>
    public Task CloseAsync()
    {
        lock (stdinLock)
        {
            return closing ??= CloseLadderAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        process.Dispose();
    }

    private async Task CloseLadderAsync()
    {
        await CloseStdinAsync();
        if (await WaitForExitAsync(options.StopGracePeriod))
        {
            return;
        }

        foreach (var signal in new[] { PosixSignals.SigInt, PosixSignals.SigTerm })
        {
            log.Info($"Sending signal {signal} to claude (pid {process.Id}).");
            if (PosixSignals.Send(process.Id, signal) && await WaitForExitAsync(options.StopGracePeriod))
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

        await process.WaitForExitAsync();
    }

    private static JObject AllowResponse(JObject input, string? setMode)
    {
        var response = new JObject { ["behavior"] = "allow", ["updatedInput"] = input };
        if (setMode is not null)
        {
            response["updatedPermissions"] = new JArray(new JObject { ["type"] = "setMode", ["mode"] = setMode, ["destination"] = "session" });
        }

        return response;
    }

    private static string UserMessage(JToken prompt) => new JObject
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

    /// <summary>The next stdout line as a JSON object; <c>(null, problem)</c> for a line that is not one; <c>(null, null)</c> at the end.</summary>
    private async Task<(JObject? Message, string? Problem)> ReadMessageAsync()
    {
        while (await stdout.ReadLineAsync() is var (line, skipped) && (line is not null || skipped > 0))
        {
            if (line is null)
            {
                log.Warning($"claude (pid {process.Id}) printed a line of {skipped} characters; skipped.");
                return (null, $"a line of {skipped} characters, over the limit of {ClaudeCli.MaxLineChars}, was skipped");
            }

            if (line.Length == 0)
            {
                continue;
            }

            // Dates stay strings: messages are forwarded verbatim, and a parsed date would come back reformatted.
            if (Transcripts.TranscriptLines.TryParseObject(line) is { } message)
            {
                return (message, null);
            }

            log.Warning($"claude (pid {process.Id}) printed a line that is not a JSON object ({line.Length} chars); skipped.");
            return (null, "not JSON: " + (line.Length > 200 ? line[..200] + "…" : line));
        }

        return (null, null);
    }

    private async Task ReadTurnAsync(ITurnObserver observer, TurnState turn)
    {
        while (await ReadMessageAsync() is var (message, problem) && (message is not null || problem is not null))
        {
            if (message is null)
            {
                turn.Problems.Add(problem!);
                continue;
            }

            var type = (string?)message["type"];
            if (type == "transcript_mirror")
            {
                // Frames before this turn's init were the previous turn's, which its reconciliation already stored.
                if (turn.SessionId is not null)
                {
                    await NotifyObserverAsync(() => observer.OnTranscriptMirrorAsync(turn.SessionId, message));
                }

                continue;
            }

            turn.Track(message);
            if (turn.SessionId is null && type == "system" && (string?)message["subtype"] == "init" && message["session_id"]?.Type == JTokenType.String)
            {
                turn.SessionId = (string)message["session_id"]!;
                SessionId ??= turn.SessionId;
                turn.SessionAnnounced.TrySetResult();
                await NotifyObserverAsync(() => observer.OnSessionStartedAsync(turn.SessionId));
            }

            if (type == "result")
            {
                turn.Result = message;
            }

            var over = type == "result" && (turn.IsOver || turn.StopRequestedBeforeResult);
            if (over)
            {
                turn.ResultSeen.TrySetResult();
            }

            if (type == "control_response" && (string?)message["response"]?["request_id"] is { } answered && answered == turn.InterruptRequestId)
            {
                // The answer to the server's own interrupt: the CLI is up and the turn's end is near. Not the client's business.
                turn.InterruptAcknowledged.TrySetResult();
                continue;
            }

            if (type == "system" && (string?)message["subtype"] == "status" && message["permissionMode"] is JValue { Type: JTokenType.String } mode)
            {
                // The CLI changed its mode itself (leaving or entering plan mode): the next turn's switch starts from it.
                PermissionMode = (string?)mode;
            }

            if (type == "system" && (string?)message["subtype"] == "session_writes_lost" && message["lost"] is JArray lost && lost.Any(item => (string?)item == "transcript"))
            {
                turn.WritesLost = message;
            }

            if (type == "control_request" && turn.SessionId is not null)
            {
                turn.PendingControl.Add(AnswerControlRequestAsync(observer, turn, message));
            }

            if (turn.SessionId is not null)
            {
                await NotifyObserverAsync(() => observer.OnMessageAsync(turn.SessionId, message));
            }

            if (over)
            {
                return;
            }
        }
    }

    /// <summary>Answers a control request from the CLI; only <c>can_use_tool</c> is understood, the rest get an error answer so the CLI never waits.</summary>
    private async Task AnswerControlRequestAsync(ITurnObserver observer, TurnState turn, JObject message)
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
                request)
            {
                WorkingDirectory = Launch.WorkingDirectory,
            };
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
                if (turn.Stopping.IsCancellationRequested)
                {
                    // The interrupt must reach the CLI before this denial: a denial first lets the CLI carry on, and
                    // with a quick model the turn ends in success before the interrupt is read (a stop that changed nothing).
                    await Task.WhenAny(turn.InterruptWritten.Task, Task.Delay(options.StopGracePeriod));
                }
            }

            var answer = decision.Allow
                ? AllowResponse(decision.UpdatedInput ?? permission.Input, decision.SetMode)
                : new JObject { ["behavior"] = "deny", ["message"] = decision.Message ?? "Denied by the host." };
            response = new JObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = answer };
        }
        else
        {
            response = new JObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = $"The host does not support {(string?)request?["subtype"]}." };
        }

        await WriteLineAsync(new JObject { ["type"] = "control_response", ["response"] = response }.ToString(Formatting.None));
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

    private async Task WriteLineAsync(string line)
    {
        await stdinLock.WaitAsync();
        try
        {
            if (stdinClosed)
            {
                return;
            }

            await process.StandardInput.WriteLineAsync(line);
            await process.StandardInput.FlushAsync();
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The CLI closed its stdin (it exited early); what it said on stdout and stderr tells why.
            broken = true;
        }
        finally
        {
            stdinLock.Release();
        }
    }

    private async Task CloseStdinAsync()
    {
        await stdinLock.WaitAsync();
        try
        {
            stdinClosed = true;
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone with the process.
        }
        finally
        {
            stdinLock.Release();
        }
    }

    /// <summary>
    /// The safe way to stop a turn: ask the CLI to interrupt (it ends the turn with a result, keeps the transcript,
    /// and can take the next turn), and only when it does not, end the process (<see cref="CloseAsync"/>).
    /// </summary>
    /// <remarks>
    /// The interrupt goes in at any moment before the result, even before the CLI has said <c>init</c>: the CLI reads
    /// it once it is up and ends the turn then. Closing stdin instead would not stop it: a CLI whose stdin closes
    /// after a user message runs that turn to its end.
    /// </remarks>
    private async Task StopTurnAsync(TurnState turn)
    {
        try
        {
            if (process.HasExited)
            {
                return;
            }

            if (turn.Result is null && turn.InterruptRequestId is null)
            {
                log.Info($"Stopping claude (pid {process.Id}) with an interrupt request.");
                turn.InterruptRequestId = "sidecar-interrupt-" + Guid.NewGuid().ToString("N");
                await WriteLineAsync(InterruptRequest(turn.InterruptRequestId));
                turn.InterruptWritten.TrySetResult();
                if (await WaitForInterruptedAsync(turn))
                {
                    return;
                }
            }

            turn.InterruptWritten.TrySetResult();
            broken = true;
            await CloseAsync();
        }
        finally
        {
            turn.InterruptWritten.TrySetResult();
        }
    }

    /// <summary>
    /// Waits for the interrupted turn's result (or the process's exit). The grace period counts from the moment the
    /// CLI takes the interrupt, so a CLI still starting up (slow under load) is given the time to start first.
    /// </summary>
    private async Task<bool> WaitForInterruptedAsync(TurnState turn)
    {
        var ended = Task.WhenAny(turn.ResultSeen.Task, process.WaitForExitAsync());
        var takenUp = Task.WhenAny(turn.InterruptAcknowledged.Task, turn.SessionAnnounced.Task);
        if (await Task.WhenAny(ended, takenUp, Task.Delay(options.StartupAllowance)) == ended)
        {
            return true;
        }

        return await Task.WhenAny(ended, Task.Delay(options.StopGracePeriod)) == ended;
    }

    private async Task<bool> WaitForExitAsync(TimeSpan within)
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

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await process.StandardError.ReadAsync(buffer)) > 0)
        {
            stderrTail.Append(buffer.AsSpan(0, read));
        }
    }

    private CliFailedException Failure(CliFailureKind kind, string message, TurnState turn)
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
        /// <summary>The subagents (Task tool) started in the background and not yet reported back, by task id.</summary>
        private readonly HashSet<string> runningSubagents = new(StringComparer.Ordinal);

        private int turnsStarted;
        private int results;

        public string? SessionId { get; set; }

        /// <summary>The last result: the answer of the last of the turn's CLI turns (see <see cref="IsOver"/>).</summary>
        public JObject? Result { get; set; }

        /// <summary>
        /// One prompt is one result, unless the prompt started a subagent in the background (measured on 2.1.328: a
        /// Task answers "Async agent launched", the turn's result comes at once, the agent works on, the CLI reports it
        /// with <c>task_notification</c> and runs a turn of its own on that: a second <c>init</c>, a second result).
        /// The turn is over when every CLI turn begun has its result and every subagent it started has reported, so
        /// that nothing of it is left in the pipe to be taken for the next turn's answer. Background shell commands
        /// are not waited for: they may run for good (a dev server).
        /// </summary>
        public bool IsOver => results >= Math.Max(1, turnsStarted) && runningSubagents.Count == 0;

        /// <summary>What went wrong on the way that the CLI did not put in its result: lines that were not JSON, lines over the cap, lost writes.</summary>
        public List<string> Problems { get; } = [];

        /// <summary>The CLI's <c>session_writes_lost</c> message, when the transcript could not be saved (disk full).</summary>
        public JObject? WritesLost { get; set; }

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

        /// <summary>The stop has gone as far as writing its interrupt request (or found none needed): a question denied
        /// because of the stop is answered after it.</summary>
        public TaskCompletionSource InterruptWritten { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Counts the CLI turns begun and ended, and the background subagents started and reported.</summary>
        public void Track(JObject message)
        {
            switch ((string?)message["type"], (string?)message["subtype"])
            {
                case ("system", "init"):
                    turnsStarted++;
                    break;
                case ("result", _):
                    results++;
                    break;
                case ("system", "task_started") when (string?)message["task_type"] == "local_agent" && message["task_id"] is JValue { Type: JTokenType.String } started:
                    runningSubagents.Add((string)started!);
                    break;
                case ("system", "task_notification") when message["task_id"] is JValue { Type: JTokenType.String } reported:
                    runningSubagents.Remove((string)reported!);
                    break;
            }
        }
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
