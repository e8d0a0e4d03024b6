using ClaudeSessionSidecar.Engine.Transcripts;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>A slash command the CLI offers (built in, a skill, a custom command, an MCP prompt).</summary>
/// <param name="Name">Without the leading slash.</param>
/// <param name="ArgumentHint">What it takes after its name, as the CLI shows it (often empty).</param>
public sealed record CliCommand(string Name, string Description, string ArgumentHint);

/// <summary>A model the CLI offers: <paramref name="Value"/> is what <c>--model</c> and <c>set_model</c> take.</summary>
public sealed record CliModel(string Value, string DisplayName, string Description);

/// <summary>
/// What the CLI reports of itself in its answer to the <c>initialize</c> control request (the one the official SDKs
/// send first): its commands and models, as they are in the folder it runs in.
/// </summary>
/// <param name="HasCredentials">What its <c>account</c> says: a login token, an API key (<c>apiKeySource</c>), or a cloud
/// provider's own credentials (<c>apiProvider</c> other than <c>firstParty</c>).</param>
public sealed record CliCapabilities(IReadOnlyList<CliCommand> Commands, IReadOnlyList<CliModel> Models, bool HasCredentials = true)
{
    /// <summary>Reads the answer's <c>commands</c> and <c>models</c>, leaving out any entry without a name or value.</summary>
    public static CliCapabilities From(JObject response) => new(
        (response["commands"] as JArray ?? []).OfType<JObject>()
            .Where(command => Text(command, "name").Length > 0)
            .Select(command => new CliCommand(Text(command, "name"), Text(command, "description"), Text(command, "argumentHint")))
            .ToList(),
        (response["models"] as JArray ?? []).OfType<JObject>()
            .Where(model => Text(model, "value").Length > 0)
            .Select(model => new CliModel(Text(model, "value"), Text(model, "displayName") is { Length: > 0 } name ? name : Text(model, "value"), Text(model, "description")))
            .ToList(),
        response["account"] is not JObject account
            || Text(account, "tokenSource") is not ("" or "none")
            || Text(account, "apiKeySource") is not ("" or "none")
            || Text(account, "apiProvider") is not ("" or "firstParty"));

    private static string Text(JObject value, string name) => JsonFields.StringOf(value[name]) ?? string.Empty;
}
