using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Protocol;
using Nerdbank.Streams;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// Reads and writes JSON-RPC messages on stdio in either framing, and survives bad input: a message that is not
/// JSON gets -32700, one that is not a valid request gets -32600, one over <see cref="MaxMessageBytes"/> gets -32600
/// with <c>data.reason = "message_too_large"</c>; the connection stays up and the next message is read.
/// (StreamJsonRpc's own handlers drop the connection on the first bad message.) A response that answers no request
/// of the server still awaiting one is dropped and logged before StreamJsonRpc sees it: StreamJsonRpc would end the
/// connection (<c>DisconnectedReason.RemoteProtocolViolation</c>), and with it the server.
/// At the end of input it reports the end only once every request read has been answered, so a script that
/// pipes its requests in and closes stdin still gets every answer, and no turn is cut short.
/// </summary>
public sealed class FramedMessageHandler(Stream input, Stream output, JsonMessageFormatter formatter, Framing framing, ISidecarLog log) : IJsonRpcMessageHandler, IDisposable
{
    /// <summary>The largest message accepted: room for multi-megabyte prompts, a bound on memory.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    private const int MaxHeaderBytes = 8 * 1024;

    /// <summary>Characters (code points); longer than any method of either face: such a name is answered -32601 here, with the name cut.</summary>
    private const int MaxMethodNameLength = 200;

    /// <summary>Answers larger than this have their serialising and writing times logged (debug).</summary>
    private const int LargeAnswerBytes = 64 * 1024;

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    private readonly FrameReader reader = new(input);
    private readonly LargeInputCollector collector = new();
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly CancellationTokenSource inputEnded = new();

    /// <summary>Work to start once a given result object has been written as an answer (<see cref="AfterAnswer"/>).</summary>
    private readonly ConditionalWeakTable<object, Func<Task>> afterAnswer = [];

    /// <summary>The answer being written (under <see cref="writing"/>), in pooled segments rather than one growing array.</summary>
    private readonly Sequence<byte> answer = new(ArrayPool<byte>.Shared);

    /// <summary>Requests read whose answer is not yet written, counted by id (an id may come again once answered).</summary>
    private readonly Dictionary<RequestId, int> unanswered = [];

    /// <summary>Ids of requests whose answer is not yet on its way: a second request may not take one.</summary>
    private readonly ConcurrentDictionary<RequestId, bool> running = new();

    /// <summary>
    /// Ids of the server's own requests to the client (a permission question) whose answer has not come: the same as
    /// StreamJsonRpc's outstanding requests, which it does not expose. An id leaves it with its first answer.
    /// </summary>
    private readonly ConcurrentDictionary<RequestId, bool> awaitingAnswer = new();

    public bool CanRead => true;

    public bool CanWrite => true;

    public IJsonRpcMessageFormatter Formatter => formatter;

    /// <summary>Cancelled at the end of input: from then on no answer from the client can arrive.</summary>
    public CancellationToken InputEnded => inputEnded.Token;

    public async ValueTask<JsonRpcMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (body, problem) = framing == Framing.Newline ? await ReadLineFrameAsync(cancellationToken) : await ReadHeaderFrameAsync(cancellationToken);
            if (body is null && problem is null)
            {
                await inputEnded.CancelAsync();
                await WhenAllAnsweredAsync(cancellationToken);
                return null;
            }

            if (problem is not null)
            {
                await ReplyErrorAsync(RequestId.Null, ErrorCodes.InvalidRequest, problem.Value.Message, problem.Value.Reason, cancellationToken);
                continue;
            }

            // The body is a slice of the reader's buffer: parsed here, before the next read reuses it.
            if (body!.Value.Length > 0 && await ReadMessageAsync(body.Value, cancellationToken) is { } message)
            {
                return message;
            }
        }
    }

    public async ValueTask WriteAsync(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        // Free the id before the answer goes out (StreamJsonRpc has already let it go), so that a client that reuses
        // it as soon as it reads the answer is not refused.
        var answerTo = content is IJsonRpcMessageWithId { RequestId: var answered } and (JsonRpcResult or JsonRpcError) ? answered : (RequestId?)null;
        if (answerTo is { } freed)
        {
            running.TryRemove(freed, out _);
        }

        // Known before it is written, as the answer may be read before the write returns.
        var asking = content is JsonRpcRequest { IsResponseExpected: true } question ? question.RequestId : (RequestId?)null;
        if (asking is { } asked)
        {
            awaitingAnswer.TryAdd(asked, true);
        }

        try
        {
            // The formatter is not thread-safe: serialize under the same lock as the write.
            await writing.WaitAsync(cancellationToken);
            try
            {
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    formatter.Serialize(answer, content);
                    var serialized = Stopwatch.GetTimestamp();
                    await WriteFrameLockedAsync(answer, cancellationToken);
                    if (content is JsonRpcResult { Result: { } written } && afterAnswer.TryGetValue(written, out var then))
                    {
                        afterAnswer.Remove(written);
                        _ = Task.Run(() => RunAfterAnswerAsync(then));
                    }

                    if (answer.Length > LargeAnswerBytes && log.IsEnabled(LogLevel.Debug))
                    {
                        log.Debug($"Wrote an answer of {answer.Length} bytes: serialised in {Stopwatch.GetElapsedTime(started, serialized).TotalMilliseconds:F1} ms, written in {Stopwatch.GetElapsedTime(serialized).TotalMilliseconds:F1} ms");
                    }
                }
                finally
                {
                    answer.Reset();
                }
            }
            finally
            {
                writing.Release();
            }
        }
        catch when (asking is { } unsent)
        {
            // StreamJsonRpc forgets a request it could not send: so does this handler.
            awaitingAnswer.TryRemove(unsent, out _);
            throw;
        }
        finally
        {
            // Answered, or the answer could not be written (the client is gone): either way nothing more to wait for.
            if (answerTo is { } id)
            {
                lock (unanswered)
                {
                    if (unanswered.TryGetValue(id, out var count) && count > 1)
                    {
                        unanswered[id] = count - 1;
                    }
                    else
                    {
                        unanswered.Remove(id);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="then"/> once <paramref name="result"/> (the object a method returns) is on the wire as its
    /// answer: notifications it sends come after the answer, as a protocol may require (ACP's updates of a new session).
    /// </summary>
    public void AfterAnswer(object result, Func<Task> then) => afterAnswer.AddOrUpdate(result, then);

    private async Task RunAfterAnswerAsync(Func<Task> then)
    {
        try
        {
            await then();
        }
        catch (Exception exception)
        {
            log.Warning($"Work after an answer failed: {exception.Message}");
        }
    }

    /// <summary>Completes once every request read so far has had its answer written (or its write failed).</summary>
    public async Task WhenAllAnsweredAsync(CancellationToken cancellationToken)
    {
        // Polled: it runs only at the end of input or at exit, and a poll cannot miss a wake-up.
        while (AnyUnanswered())
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private bool AnyUnanswered()
    {
        lock (unanswered)
        {
            return unanswered.Count > 0;
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken) => await output.FlushAsync(cancellationToken);

    public void Dispose() => collector.Dispose();

    private async ValueTask<(ReadOnlyMemory<byte>? Body, (string Message, string Reason)? Problem)> ReadLineFrameAsync(CancellationToken cancellationToken)
    {
        var (line, tooLong) = await reader.ReadLineAsync(MaxMessageBytes, cancellationToken);
        collector.Saw(tooLong ? MaxMessageBytes : line?.Length ?? 0);
        return tooLong ? (null, TooLarge()) : (line, null);
    }

    private async ValueTask<(ReadOnlyMemory<byte>? Body, (string Message, string Reason)? Problem)> ReadHeaderFrameAsync(CancellationToken cancellationToken)
    {
        long? contentLength = null;
        var sawHeader = false;
        while (true)
        {
            var (line, tooLong) = await reader.ReadLineAsync(MaxHeaderBytes, cancellationToken);
            if (line is null && !tooLong)
            {
                return (null, null);
            }

            if (tooLong)
            {
                return (null, ("A header line is longer than 8 KiB.", "bad_header"));
            }

            if (line!.Value.Length == 0)
            {
                if (!sawHeader)
                {
                    continue;
                }

                break;
            }

            sawHeader = true;
            var text = Encoding.ASCII.GetString(line.Value.Span);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && text[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.TryParse(text[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
            }
        }

        switch (contentLength)
        {
            case null or < 0:
                return (null, ("Every message needs a valid Content-Length header.", "bad_header"));
            case > MaxMessageBytes:
                // Answer at once (the declared body may never come), then drop the body as it streams by.
                var (message, reason) = TooLarge();
                await ReplyErrorAsync(RequestId.Null, ErrorCodes.InvalidRequest, message, reason, cancellationToken);
                await reader.SkipAsync(contentLength.Value, cancellationToken);
                return (ReadOnlyMemory<byte>.Empty, null);
        }

        var body = await reader.ReadExactlyAsync((int)contentLength.Value, cancellationToken);
        collector.Saw(contentLength.Value);
        return (body, null);
    }

    private static (string Message, string Reason) TooLarge() => ($"The message is larger than the maximum of {MaxMessageBytes} bytes.", "message_too_large");

    /// <summary>
    /// Parses a message once and checks what StreamJsonRpc would otherwise fail on or misread. Returns the message, or
    /// answers the error itself and returns null.
    /// </summary>
    private async ValueTask<JsonRpcMessage?> ReadMessageAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        JToken json;
        try
        {
            json = Utf8JTokenReader.Read(body.Span);
        }
        catch (System.Text.Json.JsonException exception)
        {
            log.Warning($"Unparseable message ({body.Length} bytes): {exception.Message}");
            await ReplyErrorAsync(RequestId.Null, ErrorCodes.ParseError, "Parse error: " + ClientText.Cut(exception.Message), "parse_error", cancellationToken);
            return null;
        }

        var message = json as JObject;
        var id = message?["id"] is JValue { Type: JTokenType.String or JTokenType.Integer } idValue
            ? idValue.Type == JTokenType.String ? new RequestId((string)idValue!) : new RequestId((long)idValue)
            : RequestId.Null;
        var problem = EnvelopeProblem(json);
        var isRequest = problem is null && message!["method"] is not null && message.ContainsKey("id");

        // StreamJsonRpc would answer an unknown method with its whole name in the message: no method has a long name.
        if (isRequest && message!["method"] is JValue { Type: JTokenType.String } method && ClientText.CodePoints((string)method!) > MaxMethodNameLength)
        {
            await ReplyErrorAsync(id, ErrorCodes.MethodNotFound, $"No method by the name {ClientText.Quote((string?)method)} is found.", reason: null, cancellationToken);
            return null;
        }

        // StreamJsonRpc keys running requests by id and fails a second one with its internals; so does an id null.
        if (isRequest && !running.TryAdd(id, true))
        {
            problem = (ErrorCodes.InvalidRequest, "A request with this id is still running: ids must be unique among running requests.");
        }

        // A response (no "method"): StreamJsonRpc ends the connection on one that answers no request it awaits, so
        // one with no id, an id the server never asked under, or a second answer to the same question goes no further.
        var isResponse = problem is null && message!["method"] is null;
        if (isResponse && (id.IsNull || !awaitingAnswer.ContainsKey(id)))
        {
            log.Warning($"Ignored a response that answers no request of the server awaiting one (never asked, or already answered): {Excerpt(body.Span)}");
            return null;
        }

        if (problem is null)
        {
            try
            {
                var request = formatter.Deserialize(json);
                if (isResponse)
                {
                    awaitingAnswer.TryRemove(id, out _);
                }

                if (isRequest)
                {
                    lock (unanswered)
                    {
                        unanswered[id] = unanswered.GetValueOrDefault(id) + 1;
                    }
                }

                return request;
            }
            catch (Exception exception) when (exception is JsonException or InvalidCastException or FormatException or InvalidOperationException)
            {
                // What the checks above do not foresee, such as a "traceparent" that is not a string.
                running.TryRemove(id, out _);
                problem = (ErrorCodes.InvalidRequest, ClientText.Cut(exception.InnerException?.Message ?? exception.Message));
            }
        }

        // A notification with a broken envelope gets no answer, as JSON-RPC has no id to answer it by.
        if (message is not null && message["id"] is null && message["method"] is not null)
        {
            log.Warning($"Invalid notification ignored: {problem.Value.Message}");
            return null;
        }

        var (code, text) = problem.Value;
        if (code == ErrorCodes.InvalidParams)
        {
            await ReplyErrorAsync(id, code, text, "invalid_params", cancellationToken, parameter: "params");
        }
        else
        {
            await ReplyErrorAsync(id, code, "Invalid request: " + text, "invalid_request", cancellationToken);
        }

        return null;
    }

    /// <summary>The start of a message, for the log: never megabytes of it.</summary>
    private static string Excerpt(ReadOnlySpan<byte> body)
    {
        const int Shown = 200;
        // Four bytes are enough for any character: this decodes no more than is shown.
        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, Shown * 4)]).ReplaceLineEndings(" ");
        return text.Length <= Shown && body.Length <= Shown * 4 ? text : $"{text[..Math.Min(text.Length, Shown)]}… ({body.Length} bytes)";
    }

    /// <summary>What makes a message one this server does not take, with the code it answers; null when nothing does.</summary>
    private static (int Code, string Message)? EnvelopeProblem(JToken json) => json switch
    {
        JArray => (ErrorCodes.InvalidRequest, "Batches are not supported: send one message at a time."),
        not JObject => (ErrorCodes.InvalidRequest, "A message must be a JSON object."),
        JObject o when o["jsonrpc"] is not JValue { Type: JTokenType.String, Value: "2.0" } => (ErrorCodes.InvalidRequest, "\"jsonrpc\" must be \"2.0\"."),
        JObject o when o["method"] is { Type: not JTokenType.String } => (ErrorCodes.InvalidRequest, "\"method\" must be a string."),
        JObject o when o["id"] is { Type: not (JTokenType.String or JTokenType.Integer or JTokenType.Null) } => (ErrorCodes.InvalidRequest, "\"id\" must be a string, a 64-bit integer or null."),
        JObject o when o["method"] is null && o["result"] is null && o["error"] is null => (ErrorCodes.InvalidRequest, "A message needs a \"method\", a \"result\" or an \"error\"."),
        // StreamJsonRpc's formatter throws on any other error object, which would end the connection.
        JObject o when o["method"] is null && o["error"] is { Type: not JTokenType.Null } error && (error is not JObject e || e["code"] is not { Type: JTokenType.Integer } || e["message"] is not { Type: JTokenType.String })
            => (ErrorCodes.InvalidRequest, "A response's \"error\" must be an object with an integer \"code\" and a string \"message\"."),
        // An empty array is no params: StreamJsonRpc's own clients send [] for a call without arguments.
        JObject o when o["params"] is JArray { Count: > 0 } => (ErrorCodes.InvalidParams, "params must be an object of named parameters; positional (array) params are not taken."),
        JObject o when o["params"] is { Type: not (JTokenType.Object or JTokenType.Array) } => (ErrorCodes.InvalidRequest, "\"params\" must be an object."),
        JObject o when o["traceparent"] is { Type: not JTokenType.String } || o["tracestate"] is { Type: not JTokenType.String } => (ErrorCodes.InvalidRequest, "\"traceparent\" and \"tracestate\" must be strings."),
        _ => null,
    };

    /// <param name="reason">Null for an error without <c>data</c> (-32601, as StreamJsonRpc answers it).</param>
    private async ValueTask ReplyErrorAsync(RequestId id, int code, string message, string? reason, CancellationToken cancellationToken, string? parameter = null)
    {
        var body = new JObject { ["code"] = code, ["message"] = message };
        if (reason is not null)
        {
            var data = new JObject { ["reason"] = reason };
            if (parameter is not null)
            {
                data["parameter"] = parameter;
            }

            body["data"] = data;
        }

        var error = new JObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id.IsNull ? null : id.String is { } text ? new JValue(text) : new JValue(id.Number!.Value),
            ["error"] = body,
        };
        await WriteFrameAsync(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(error.ToString(Formatting.None))), cancellationToken);
    }

    private async ValueTask WriteFrameAsync(ReadOnlySequence<byte> body, CancellationToken cancellationToken)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            await WriteFrameLockedAsync(body, cancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }

    private async ValueTask WriteFrameLockedAsync(ReadOnlySequence<byte> body, CancellationToken cancellationToken)
    {
        if (framing == Framing.ContentLength)
        {
            await output.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), cancellationToken);
        }

        foreach (var segment in body)
        {
            await output.WriteAsync(segment, cancellationToken);
        }

        if (framing == Framing.Newline)
        {
            await output.WriteAsync(NewLine, cancellationToken);
        }

        await output.FlushAsync(cancellationToken);
    }
}
