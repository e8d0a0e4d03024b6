using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Hosting;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace ClaudeSessionSidecar.Acp;

public sealed class AuthenticateParams
{
    public string? MethodId { get; set; }
}

/// <summary>
/// Logging in from the editor, with ACP's terminal auth: the client runs this agent's own command with the method's
/// extra arguments in a terminal, which runs the CLI's own login (<c>--cli auth login</c>, see
/// <see cref="CliPassthrough"/>). Offered, as the anchor offers it, to a client that declares terminal auth
/// (<c>clientCapabilities.auth.terminal</c>, or <c>_meta["terminal-auth"]</c> with the full command line in the method's
/// <c>_meta</c>).
/// </summary>
public sealed partial class AcpAgent
{
    public const string Authenticate = "authenticate";

    /// <summary>Id, name, description, the CLI's arguments: a Claude subscription, or an Anthropic Console key.</summary>
    private static readonly (string Id, string Name, string Description, string[] CliArguments)[] LoginMethods =
    [
        ("claude-ai-login", "Claude Subscription", "Log in with your Claude subscription (claude auth login --claudeai)", ["auth", "login", "--claudeai"]),
        ("console-login", "Anthropic Console", "Log in with an Anthropic Console account, billed by API usage (claude auth login --console)", ["auth", "login", "--console"]),
    ];

    /// <summary>The login methods this client can run; empty when it declares no terminal auth.</summary>
    private string[] offeredLogins = [];

    private JArray AuthMethodsFor(JToken? clientCapabilities)
    {
        var terminal = JsonFields.IsTrue(clientCapabilities?["auth"]?["terminal"]);
        var metaTerminal = JsonFields.IsTrue(clientCapabilities?["_meta"]?["terminal-auth"]);
        offeredLogins = terminal || metaTerminal ? LoginMethods.Select(method => method.Id).ToArray() : [];
        if (offeredLogins.Length == 0)
        {
            return [];
        }

        return new JArray(LoginMethods.Select(method =>
        {
            var entry = new JObject
            {
                ["id"] = method.Id,
                ["name"] = method.Name,
                ["description"] = method.Description,
                ["type"] = "terminal",
                ["args"] = new JArray(new[] { CliPassthrough.Flag }.Concat(method.CliArguments)),
            };
            if (metaTerminal)
            {
                var (command, arguments) = CliPassthrough.CommandFor(method.CliArguments);
                entry["_meta"] = new JObject { ["terminal-auth"] = new JObject { ["command"] = command, ["args"] = new JArray(arguments), ["label"] = method.Name + " login" } };
            }

            return entry;
        }));
    }

    /// <summary>
    /// After the terminal login: answers <c>{}</c> when the CLI now has credentials (a CLI started to ask says so in its
    /// <c>initialize</c> answer), else -32000 naming the methods to use. An unknown method is -32602.
    /// </summary>
    public async Task<JObject> AuthenticateAsync(AuthenticateParams p, CancellationToken cancellationToken)
    {
        if (p.MethodId is not { } methodId || !offeredLogins.Contains(methodId))
        {
            throw AcpErrors.InvalidParams("methodId", offeredLogins.Length == 0
                ? "No login method is offered: the client declared no terminal auth in initialize."
                : $"methodId must be one of {string.Join(", ", offeredLogins)}.");
        }

        var capabilities = await Sessions.Turns.CapabilitiesAsync(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), fresh: true);
        if (capabilities?.HasCredentials != true)
        {
            throw LoginRequired("The Claude Code CLI has no credentials yet");
        }

        return [];
    }

    /// <summary>-32000 with the login methods offered to this client.</summary>
    private LocalRpcException LoginRequired(string what) => AcpErrors.AuthenticationRequired(what, offeredLogins);
}
