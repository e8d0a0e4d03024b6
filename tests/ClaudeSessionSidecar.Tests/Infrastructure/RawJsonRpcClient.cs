using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// A newline-framed JSON-RPC client that shows responses exactly as sent, error objects included
/// (StreamJsonRpc's own client turns -32602 into an exception without its <c>data</c>).
/// </summary>
public sealed class RawJsonRpcClient(Stream input, Stream output)
{
    private readonly StreamReader reader = new(input, new UTF8Encoding(false));
    private readonly SemaphoreSlim gate = new(1, 1);
    private int nextId;

    public List<JObject> Notifications { get; } = [];

    /// <summary>Sends a request and returns its whole response object (<c>result</c> or <c>error</c>).</summary>
    public async Task<JObject> RequestAsync(string method, JToken? parameters = null)
    {
        await gate.WaitAsync();
        try
        {
            var id = Interlocked.Increment(ref nextId);
            var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
            if (parameters is not null)
            {
                request["params"] = parameters;
            }

            await WriteLineAsync(request.ToString(Formatting.None));
            while (await reader.ReadLineAsync() is { } line)
            {
                var message = (JObject)TranscriptLines.Parse(line);
                if ((int?)message["id"] == id)
                {
                    return message;
                }

                Notifications.Add(message);
            }

            throw new EndOfStreamException("The server closed its output before answering " + method);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The next message the server sends, whatever it is; for tests that write raw lines themselves.</summary>
    public async Task<JObject> ReadMessageAsync() =>
        await reader.ReadLineAsync() is { } line
            ? (JObject)TranscriptLines.Parse(line)
            : throw new EndOfStreamException("The server closed its output.");

    public Task NotifyAsync(string method) => WriteLineAsync(new JObject { ["jsonrpc"] = "2.0", ["method"] = method }.ToString(Formatting.None));

    public async Task WriteLineAsync(string line)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
        await output.FlushAsync();
    }
}
