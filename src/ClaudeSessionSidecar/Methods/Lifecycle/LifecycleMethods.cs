using ClaudeSessionSidecar.Hosting;
using ClaudeSessionSidecar.Methods.Session;
using ClaudeSessionSidecar.Protocol;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Methods.Lifecycle;

public sealed class InitializeParams
{
    /// <summary>{name?, version?}, read strictly when present.</summary>
    public JToken? ClientInfo { get; set; }

    /// <summary>"interactive" or "programmatic": whether this client's sessions are listed by <c>claude --resume</c>.</summary>
    public string? Entrypoint { get; set; }
}

public sealed class ClientInfo
{
    public string? Name { get; set; }

    public string? Version { get; set; }
}

public sealed class InitializeResult
{
    public required NameAndVersion ServerInfo { get; init; }

    public required ClaudeInfo Claude { get; init; }

    public required ServerCapabilities Capabilities { get; init; }

    /// <summary>The entrypoint this connection's sessions get (stdio-protocol.md, "Entrypoints").</summary>
    public required EntrypointInfo Entrypoint { get; init; }
}

public sealed class EntrypointInfo
{
    /// <summary>"interactive" or "programmatic".</summary>
    public required string Kind { get; init; }

    /// <summary>What the CLI writes as the transcript's <c>entrypoint</c>.</summary>
    public required string Name { get; init; }
}

public sealed class NameAndVersion
{
    public required string Name { get; init; }

    public required string Version { get; init; }
}

public sealed class ClaudeInfo
{
    /// <summary>Null when no CLI was found: the server still answers, and turns fail with -31003.</summary>
    [JsonProperty(NullValueHandling = NullValueHandling.Include)]
    public string? Path { get; init; }

    [JsonProperty(NullValueHandling = NullValueHandling.Include)]
    public string? Version { get; init; }

    public required string ConfigDirectory { get; init; }
}

public sealed class ServerCapabilities
{
    public required IReadOnlyList<string> Methods { get; init; }

    public required IReadOnlyList<string> Notifications { get; init; }

    /// <summary>Requests the server may send to the client (answering them is optional: unanswered means deny).</summary>
    public required IReadOnlyList<string> ServerRequests { get; init; }

    /// <summary>JSON-RPC <c>$/cancelRequest</c> stops a running create/resume/fork the safe way.</summary>
    public bool CancelRequest => true;

    /// <summary>create/resume take <c>includePartialMessages</c>.</summary>
    public bool PartialMessages => true;
}

public sealed class NoParams;

/// <summary><c>initialize</c>, <c>shutdown</c>, <c>exit</c>: the Language-Server-style lifecycle.</summary>
public sealed class LifecycleMethods(SidecarHost host)
{
    public const string Initialize = "initialize";
    public const string Shutdown = "shutdown";
    public const string Exit = "exit";

    public void AddTo(MethodDispatcher methods)
    {
        methods.Add<InitializeParams, InitializeResult>(Initialize, InitializeAsync, paramsOptional: true);
        methods.Add<NoParams, object?>(Shutdown, ShutdownServer, paramsOptional: true);
        methods.AddNotification(Exit, _ => host.RequestExit());
    }

    public async Task<InitializeResult> InitializeAsync(InitializeParams p, CancellationToken cancellationToken)
    {
        var kind = SessionEntrypoint.ParseKind(Require.OneOf(p.Entrypoint, "entrypoint", SessionEntrypoint.KindNames));
        ClientInfo? client = null;
        if (p.ClientInfo is { Type: not JTokenType.Null } clientInfo)
        {
            client = ParamsReader.Read<ClientInfo>(clientInfo);
            host.Log.Write(Engine.Diagnostics.LogLevel.Info, $"Client: {client.Name} {client.Version}");
        }

        // Only which of the fixed names the client maps to reaches the CLI, never its own string.
        host.SetClient(kind, client?.Name);
        var entrypoint = host.Entrypoint;

        var claude = host.Services.ClaudePath;
        return new InitializeResult
        {
            ServerInfo = new NameAndVersion { Name = SidecarHost.ServerName, Version = SidecarHost.ServerVersion },
            Claude = new ClaudeInfo
            {
                Path = claude,
                Version = claude is null ? null : await host.Services.GetClaudeVersionAsync().WaitAsync(cancellationToken),
                ConfigDirectory = host.Services.ConfigDirectory,
            },
            Capabilities = new ServerCapabilities { Methods = host.MethodNames, Notifications = [SessionMessageNotification.Method], ServerRequests = [RequestPermission.Method] },
            Entrypoint = new EntrypointInfo { Kind = entrypoint.KindName, Name = entrypoint.Name },
        };
    }

    /// <summary>Stops taking turns; in-flight ones finish. Harmless when repeated.</summary>
    public object? ShutdownServer(NoParams p)
    {
        host.RequestShutdown();
        return null;
    }
}
