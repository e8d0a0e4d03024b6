using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// The only faked part: a Messages API on 127.0.0.1 (port 0) that the real CLI talks to. It answers
/// <c>POST /v1/messages</c> (streamed or not) and <c>count_tokens</c>, records every request, and takes
/// directives from the prompt: <c>[slow:MS]</c> holds the stream open for MS milliseconds before the text.
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
        var body = JObject.Parse(await reader.ReadToEndAsync(context.RequestAborted));
        Requests.Enqueue(body);
        var prompt = PromptOf(body) ?? string.Empty;
        var text = ReplyTo(prompt);
        var model = (string?)body["model"] ?? "fake-model";
        var usage = new JObject { ["input_tokens"] = 10, ["output_tokens"] = 5 };

        if (body["stream"]?.Value<bool>() != true)
        {
            await context.Response.WriteAsJsonAsync(
                new { id = "msg_fake", type = "message", role = "assistant", model, content = new[] { new { type = "text", text } }, stop_reason = "end_turn", stop_sequence = (string?)null, usage = new { input_tokens = 10, output_tokens = 5 } },
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
            await Event("message_start", new JObject { ["type"] = "message_start", ["message"] = new JObject { ["id"] = "msg_fake", ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JArray(), ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = usage } });
            await Event("content_block_start", new JObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JObject { ["type"] = "text", ["text"] = string.Empty } });
            if (SlowDirective().Match(prompt) is { Success: true } slow)
            {
                await Task.Delay(int.Parse(slow.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
            }

            await Event("content_block_delta", new JObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JObject { ["type"] = "text_delta", ["text"] = text } });
            await Event("content_block_stop", new JObject { ["type"] = "content_block_stop", ["index"] = 0 });
            await Event("message_delta", new JObject { ["type"] = "message_delta", ["delta"] = new JObject { ["stop_reason"] = "end_turn", ["stop_sequence"] = null }, ["usage"] = new JObject { ["output_tokens"] = 5 } });
            await Event("message_stop", new JObject { ["type"] = "message_stop" });
        }
        catch (OperationCanceledException)
        {
            // The CLI hung up (an interrupt): nothing more to send.
        }
    }

    [GeneratedRegex(@"\[slow:(\d+)\]")]
    private static partial Regex SlowDirective();
}
