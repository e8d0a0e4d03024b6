using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Engine.Transcripts;
using Nerdbank.Streams;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// <c>ClaudeSessionSidecar call &lt;method&gt; '&lt;json params&gt;'</c>: one request to the same server, in-process
/// (over an in-memory pipe, so every check and error is the server's own), printed as JSON on stdout: the result, or
/// the error object with exit code 1. With <c>--stream</c>, <c>session/message</c> notifications go to stderr.
/// Permission requests are denied (a script has nobody to ask).
/// </summary>
public static class OneShotCall
{
    public const string Usage = "Usage: ClaudeSessionSidecar call [--stream] <method> ['<json params>'] [server options]";

    /// <returns>0 for a result, 1 for an error answer, 2 for a bad command line.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var stream = args.Contains("--stream");
        var rest = args.Where(arg => arg != "--stream").ToList();
        if (rest.Count == 0 || rest[0].StartsWith('-'))
        {
            await stderr.WriteLineAsync(Usage);
            return 2;
        }

        var method = rest[0];
        JToken? parameters = null;
        var optionsStart = 1;
        if (rest.Count > 1 && !rest[1].StartsWith("--", StringComparison.Ordinal))
        {
            try
            {
                parameters = TranscriptLines.Parse(rest[1]);
            }
            catch (JsonReaderException exception)
            {
                await stderr.WriteLineAsync($"The params are not JSON: {ClientText.Cut(exception.Message)}\n{Usage}");
                return 2;
            }

            optionsStart = 2;
        }

        ServerOptions options;
        try
        {
            options = ServerOptions.Parse(rest.Skip(optionsStart).ToList());
        }
        catch (ArgumentException exception)
        {
            await stderr.WriteLineAsync($"{exception.Message}\n{Usage}");
            return 2;
        }

        using var log = options.LogFile is null ? new TextWriterLog(stderr, options.LogLevel == Engine.Diagnostics.LogLevel.Info ? Engine.Diagnostics.LogLevel.Warning : options.LogLevel) : TextWriterLog.ToFile(options.LogFile, options.LogLevel);
        SessionService services;
        try
        {
            services = SidecarHost.CreateServices(options, log, oneRequest: true);
        }
        catch (Exception exception) when (SidecarHost.IsStartFailure(exception))
        {
            await stderr.WriteLineAsync($"The server could not start: {exception.Message}");
            return 1;
        }

        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        // A script's sessions stay programmatic (hidden from `claude --resume`, as the SDK's are) unless it asks.
        await using var host = new SidecarHost(serverSide, serverSide, services, Framing.Newline, log) { EntrypointOption = options.Entrypoint ?? SessionKind.Programmatic };
        host.Start();
        var exit = host.WaitForExitAsync();

        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = parameters;
        }

        await WriteLineAsync(clientSide, request);
        using var reader = new StreamReader(clientSide, Encoding.UTF8);
        var exitCode = 1;
        while (await reader.ReadLineAsync() is { } line)
        {
            var message = (JObject)TranscriptLines.Parse(line);
            if (message["method"] is not null && message["id"] is null)
            {
                if (stream)
                {
                    await stderr.WriteLineAsync(line);
                }

                continue;
            }

            if (message["method"] is not null)
            {
                // A server → client request (a permission question): nobody to ask, so it is refused, which denies.
                await WriteLineAsync(clientSide, new JObject { ["jsonrpc"] = "2.0", ["id"] = message["id"], ["error"] = new JObject { ["code"] = -32601, ["message"] = "A one-shot call answers no requests." } });
                continue;
            }

            var answer = message["error"] ?? message["result"];
            await stdout.WriteLineAsync(answer?.ToString(Formatting.Indented) ?? "null");
            exitCode = message["error"] is null ? 0 : 1;
            break;
        }

        await clientSide.DisposeAsync();
        await exit;
        return exitCode;
    }

    private static async Task WriteLineAsync(Stream stream, JObject message)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message.ToString(Formatting.None) + "\n"));
        await stream.FlushAsync();
    }
}
