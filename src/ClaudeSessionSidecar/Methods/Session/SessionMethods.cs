using ClaudeSessionSidecar.Engine.Sessions;
using ClaudeSessionSidecar.Hosting;

namespace ClaudeSessionSidecar.Methods.Session;

/// <summary>The <c>session/*</c> methods, one file per method: each checks its params, then calls the engine.</summary>
public sealed partial class SessionMethods(SidecarHost host)
{
    internal static readonly string[] PermissionModes = ["default", "acceptEdits", "auto", "bypassPermissions", "manual", "dontAsk", "plan"];

    private SessionService Sessions => host.Services;

    private string UserIdOrDefault(string? userId) => Protocol.Require.OptionalToken(userId, "userId") ?? host.DefaultUserId;
}
