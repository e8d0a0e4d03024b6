using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// The only faked part: a Messages API on 127.0.0.1 (port 0) that the real CLI talks to. It answers
/// <c>POST /v1/messages</c> (streamed or not) and <c>count_tokens</c>, records every request, and takes
/// directives from the prompt: <c>[slow:MS]</c> holds the stream open for MS milliseconds before the text;
/// <c>[write:/abs/path]</c> first asks for the Write tool on that path (content "written by the fake model"), and
/// once the tool's result comes back, answers with text that quotes it; <c>[edit:/abs/path|OLD|NEW]</c> does the same
/// with the Edit tool (<c>old_string</c> OLD, <c>new_string</c> NEW), as the Node twin does.
/// </summary>
public sealed partial class FakeMessagesApi : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeMessagesApi(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>Every <c>/v1/messages</c> request body, in arrival order.</summary>
    public ConcurrentQueue<JObject> Requests { get; } = new();

    public static async Task<FakeMessagesApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var api = new FakeMessagesApi(app);
        app.MapPost("/v1/messages/count_tokens", () => Results.Json(new { input_tokens = 10 }));
        app.MapPost("/v1/messages", api.MessagesAsync);
        await app.StartAsync();
        api.BaseUrl = app.Urls.First();
        return api;
    }

    /// <summary>The prompt a person sent in a request: the last user text that is not a system reminder.</summary>
    public static string? PromptOf(JObject request) =>
        (request["messages"] as JArray ?? [])
            .OfType<JObject>()
            .Where(message => (string?)message["role"] == "user")
            .SelectMany(message => message["content"] switch
            {
                JValue { Type: JTokenType.String } text => [(string?)text],
                JArray blocks => blocks.OfType<JObject>().Where(block => (string?)block["type"] == "text").Select(block => (string?)block["text"]),
                _ => [],
            })
            .LastOrDefault(text => text is not null && !text.StartsWith("<system-reminder>", StringComparison.Ordinal));

    /// <summary>All the texts (user and assistant) a request carried: what the model was shown of the history.</summary>
    public static IEnumerable<string> TextsOf(JObject request) =>
        (request["messages"] as JArray ?? [])
            .OfType<JObject>()
            .SelectMany(message => message["content"] switch
            {
                JValue { Type: JTokenType.String } text => [(string)text!],
                JArray blocks => blocks.OfType<JObject>().Where(block => (string?)block["type"] == "text").Select(block => (string)block["text"]!),
                _ => [],
            });

    public static string ReplyTo(string prompt) => $"reply to: {(prompt.Length > 60 ? prompt[..60] : prompt)} ({prompt.Length} chars)";

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task MessagesAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = (JObject)TranscriptLines.Parse(await reader.ReadToEndAsync(context.RequestAborted));
        Requests.Enqueue(body);
        var prompt = PromptOf(body) ?? string.Empty;
        var text = ReplyTo(prompt);
        var toolResult = ToolResultOf(body);
        var write = toolResult is null ? WriteDirective().Match(prompt) : Match.Empty;
        var edit = toolResult is null ? EditDirective().Match(prompt) : Match.Empty;
        if (toolResult is not null)
        {
            text = "tool said: " + toolResult;
        }
        var model = (string?)body["model"] ?? "fake-model";

        // A fresh id per answer: the CLI merges transcript entries that share a message id.
        var messageId = "msg_fake_" + Guid.NewGuid().ToString("N");
        var usage = new JObject { ["input_tokens"] = 10, ["output_tokens"] = 5 };
        var finalOutputTokens = 5;
        var chosenUsage = toolResult is null ? UsageDirective().Match(prompt) : Match.Empty;
        if (chosenUsage.Success)
        {
            // As the real API streams it: input and cache figures at the start, the output's count in the last delta.
            long Figure(int group) => long.Parse(chosenUsage.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);
            usage = new JObject
            {
                ["input_tokens"] = Figure(1),
                ["cache_creation_input_tokens"] = Figure(3),
                ["cache_read_input_tokens"] = Figure(4),
                ["cache_creation"] = new JObject { ["ephemeral_5m_input_tokens"] = Figure(3), ["ephemeral_1h_input_tokens"] = 0 },
                ["output_tokens"] = 1,
            };
            finalOutputTokens = (int)Figure(2);
        }

        if (body["stream"]?.Value<bool>() != true)
        {
            await context.Response.WriteAsJsonAsync(
                new { id = messageId, type = "message", role = "assistant", model, content = new[] { new { type = "text", text } }, stop_reason = "end_turn", stop_sequence = (string?)null, usage = new { input_tokens = 10, output_tokens = 5 } },
                context.RequestAborted);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        async Task Event(string name, JObject data)
        {
            await context.Response.WriteAsync($"event: {name}\ndata: {data.ToString(Formatting.None)}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        try
        {
            await Event("message_start", new JObject { ["type"] = "message_start", ["message"] = new JObject { ["id"] = messageId, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JArray(), ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = usage } });
            if (write.Success || edit.Success)
            {
                var (tool, input) = write.Success
                    ? ("Write", new JObject { ["file_path"] = write.Groups[1].Value, ["content"] = "written by the fake model" })
                    : ("Edit", new JObject { ["file_path"] = edit.Groups[1].Value, ["old_string"] = edit.Groups[2].Value, ["new_string"] = edit.Groups[3].Value });
                await Event("content_block_start", new JObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JObject { ["type"] = "tool_use", ["id"] = "toolu_" + Guid.NewGuid().ToString("N"), ["name"] = tool, ["input"] = new JObject() } });
                await Event("content_block_delta", new JObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JObject { ["type"] = "input_json_delta", ["partial_json"] = input.ToString(Formatting.None) } });
                await Event("content_block_stop", new JObject { ["type"] = "content_block_stop", ["index"] = 0 });
                await Event("message_delta", new JObject { ["type"] = "message_delta", ["delta"] = new JObject { ["stop_reason"] = "tool_use", ["stop_sequence"] = null }, ["usage"] = new JObject { ["output_tokens"] = 5 } });
                await Event("message_stop", new JObject { ["type"] = "message_stop" });
                return;
            }

            await Event("content_block_start", new JObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JObject { ["type"] = "text", ["text"] = string.Empty } });
            if (SlowDirective().Match(prompt) is { Success: true } slow)
            {
                await Task.Delay(int.Parse(slow.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
            }

            await Event("content_block_delta", new JObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JObject { ["type"] = "text_delta", ["text"] = text } });
            await Event("content_block_stop", new JObject { ["type"] = "content_block_stop", ["index"] = 0 });
            if (chosenUsage.Success)
            {
                // A second block: the CLI writes one transcript line per block, each with the message's id and usage.
                await Event("content_block_start", new JObject { ["type"] = "content_block_start", ["index"] = 1, ["content_block"] = new JObject { ["type"] = "text", ["text"] = string.Empty } });
                await Event("content_block_delta", new JObject { ["type"] = "content_block_delta", ["index"] = 1, ["delta"] = new JObject { ["type"] = "text_delta", ["text"] = "(a second block)" } });
                await Event("content_block_stop", new JObject { ["type"] = "content_block_stop", ["index"] = 1 });
            }

            await Event("message_delta", new JObject { ["type"] = "message_delta", ["delta"] = new JObject { ["stop_reason"] = "end_turn", ["stop_sequence"] = null }, ["usage"] = new JObject { ["output_tokens"] = finalOutputTokens } });
            await Event("message_stop", new JObject { ["type"] = "message_stop" });
        }
        catch (OperationCanceledException)
        {
            // The CLI hung up (an interrupt): nothing more to send.
        }
    }

    /// <summary>
    /// The text of the tool_result the model waits for: the last one of the last user message, unless a prompt
    /// follows it there (on a resume the CLI may send the previous turn's result and the new prompt together).
    /// </summary>
    private static string? ToolResultOf(JObject request)
    {
        var lastUser = (request["messages"] as JArray ?? []).OfType<JObject>().LastOrDefault(message => (string?)message["role"] == "user");
        JObject? result = null;
        foreach (var block in (lastUser?["content"] as JArray ?? []).OfType<JObject>())
        {
            if ((string?)block["type"] == "tool_result")
            {
                result = block;
            }
            else if ((string?)block["type"] == "text" && !((string?)block["text"] ?? string.Empty).StartsWith("<system-reminder>", StringComparison.Ordinal))
            {
                result = null;
            }
        }

        return result?["content"] switch
        {
            null => null,
            JValue { Type: JTokenType.String } text => (string?)text,
            JArray blocks => string.Concat(blocks.OfType<JObject>().Select(block => (string?)block["text"])),
            var other => other.ToString(Formatting.None),
        };
    }

    [GeneratedRegex(@"\[write:([^\]]+)\]")]
    private static partial Regex WriteDirective();

    [GeneratedRegex(@"\[edit:([^\]|]+)\|([^\]|]*)\|([^\]|]*)\]")]
    private static partial Regex EditDirective();

    [GeneratedRegex(@"\[slow:(\d+)\]")]
    private static partial Regex SlowDirective();

    /// <summary><c>[usage:input,output,cacheCreation,cacheRead]</c>: the answer's usage, over two text blocks.</summary>
    [GeneratedRegex(@"\[usage:(\d+),(\d+),(\d+),(\d+)\]")]
    private static partial Regex UsageDirective();
}
