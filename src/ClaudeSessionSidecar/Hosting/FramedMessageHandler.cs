using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// Reads and writes JSON-RPC messages on stdio in either framing, and survives bad input: a message that is not
/// JSON gets -32700, one that is not a valid request gets -32600, one over <see cref="MaxMessageBytes"/> gets -32600
/// with <c>data.reason = "message_too_large"</c>; the connection stays up and the next message is read.
/// (StreamJsonRpc's own handlers drop the connection on the first bad message.)
/// At the end of input it reports the end only once every request read has been answered, so a script that
/// pipes its requests in and closes stdin still gets every answer, and no turn is cut short.
/// </summary>
public sealed class FramedMessageHandler(Stream input, Stream output, JsonMessageFormatter formatter, Framing framing, ISidecarLog log) : IJsonRpcMessageHandler
{
    /// <summary>The largest message accepted: room for multi-megabyte prompts, a bound on memory.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    private const int MaxHeaderBytes = 8 * 1024;

    private readonly FrameReader reader = new(input);
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly ConcurrentDictionary<RequestId, bool> unanswered = new();
    private readonly CancellationTokenSource inputEnded = new();

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

            if (body!.Length == 0)
            {
                continue;
            }

            if (await CheckEnvelopeAsync(body, cancellationToken))
            {
                var message = formatter.Deserialize(new ReadOnlySequence<byte>(body));
                if (message is JsonRpcRequest { IsResponseExpected: true } request)
                {
                    unanswered.TryAdd(request.RequestId, true);
                }

                return message;
            }
        }
    }

    public async ValueTask WriteAsync(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        try
        {
            // The formatter is not thread-safe: serialize under the same lock as the write.
            await writing.WaitAsync(cancellationToken);
            try
            {
                var body = new ArrayBufferWriter<byte>();
                formatter.Serialize(body, content);
                await WriteFrameLockedAsync(body.WrittenMemory, cancellationToken);
            }
            finally
            {
                writing.Release();
            }
        }
        finally
        {
            // Answered, or the answer could not be written (the client is gone): either way nothing more to wait for.
            if (content is IJsonRpcMessageWithId { RequestId: var id } and (JsonRpcResult or JsonRpcError))
            {
                unanswered.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Completes once every request read so far has had its answer written (or its write failed).</summary>
    public async Task WhenAllAnsweredAsync(CancellationToken cancellationToken)
    {
        // Polled: it runs only at the end of input or at exit, and a poll cannot miss a wake-up.
        while (!unanswered.IsEmpty)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken) => await output.FlushAsync(cancellationToken);

    private async ValueTask<(byte[]? Body, (string Message, string Reason)? Problem)> ReadLineFrameAsync(CancellationToken cancellationToken)
    {
        var (line, tooLong) = await reader.ReadLineAsync(MaxMessageBytes, cancellationToken);
        return tooLong ? (null, TooLarge()) : (line, null);
    }

    private async ValueTask<(byte[]? Body, (string Message, string Reason)? Problem)> ReadHeaderFrameAsync(CancellationToken cancellationToken)
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

            if (line!.Length == 0)
            {
                if (!sawHeader)
                {
                    continue;
                }

                break;
            }

            sawHeader = true;
            var text = Encoding.ASCII.GetString(line);
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
                return ([], null);
        }

        var body = await reader.ReadExactlyAsync((int)contentLength.Value, cancellationToken);
        return (body, null);
    }

    private static (string Message, string Reason) TooLarge() => ($"The message is larger than the maximum of {MaxMessageBytes} bytes.", "message_too_large");

    /// <summary>Checks what StreamJsonRpc would otherwise fail on or misread; answers the error itself and returns false.</summary>
    private async ValueTask<bool> CheckEnvelopeAsync(byte[] body, CancellationToken cancellationToken)
    {
        JToken message;
        try
        {
            using var textReader = new JsonTextReader(new StreamReader(new MemoryStream(body), Encoding.UTF8)) { DateParseHandling = DateParseHandling.None, MaxDepth = 256 };
            message = await JToken.ReadFromAsync(textReader, cancellationToken);
            if (await textReader.ReadAsync(cancellationToken))
            {
                throw new JsonReaderException("Additional content after the message.");
            }
        }
        catch (JsonException exception)
        {
            log.Warning($"Unparseable message ({body.Length} bytes): {exception.Message}");
            await ReplyErrorAsync(RequestId.Null, ErrorCodes.ParseError, "Parse error: " + exception.Message, "parse_error", cancellationToken);
            return false;
        }

        var id = message is JObject { } withId && withId["id"] is JValue { Type: JTokenType.String or JTokenType.Integer } idValue
            ? idValue.Type == JTokenType.String ? new RequestId((string)idValue!) : new RequestId((long)idValue)
            : RequestId.Null;
        var problem = message switch
        {
            JArray => "Batches are not supported: send one message at a time.",
            not JObject => "A message must be a JSON object.",
            JObject o when o["jsonrpc"]?.ToString() != "2.0" => "\"jsonrpc\" must be \"2.0\".",
            JObject o when o["method"] is { } method && method.Type != JTokenType.String => "\"method\" must be a string.",
            JObject o when o["id"] is { Type: not (JTokenType.String or JTokenType.Integer or JTokenType.Null) } => "\"id\" must be a string, an integer or null.",
            JObject o when o["params"] is { Type: not (JTokenType.Object or JTokenType.Array) } => "\"params\" must be an object or an array.",
            JObject o when o["method"] is null && o["result"] is null && o["error"] is null => "A message needs a \"method\", a \"result\" or an \"error\".",
            _ => null,
        };
        if (problem is null)
        {
            return true;
        }

        // A notification with a broken envelope gets no answer, as JSON-RPC has no id to answer it by.
        if (message is JObject notification && notification["id"] is null && notification["method"] is not null)
        {
            log.Warning($"Invalid notification ignored: {problem}");
            return false;
        }

        await ReplyErrorAsync(id, ErrorCodes.InvalidRequest, "Invalid request: " + problem, "invalid_request", cancellationToken);
        return false;
    }

    private async ValueTask ReplyErrorAsync(RequestId id, int code, string message, string reason, CancellationToken cancellationToken)
    {
        var error = new JObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id.IsNull ? null : id.String is { } text ? new JValue(text) : new JValue(id.Number!.Value),
            ["error"] = new JObject { ["code"] = code, ["message"] = message, ["data"] = new JObject { ["reason"] = reason } },
        };
        await WriteFrameAsync(Encoding.UTF8.GetBytes(error.ToString(Formatting.None)), cancellationToken);
    }

    private async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
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

    private async ValueTask WriteFrameLockedAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (framing == Framing.Newline)
        {
            await output.WriteAsync(body, cancellationToken);
            await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }
        else
        {
            await output.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), cancellationToken);
            await output.WriteAsync(body, cancellationToken);
        }

        await output.FlushAsync(cancellationToken);
    }
}
