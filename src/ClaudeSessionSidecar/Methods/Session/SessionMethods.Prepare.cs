using ClaudeSessionSidecar.Protocol;

namespace ClaudeSessionSidecar.Methods.Session;

public sealed class PrepareParams
{
    public string? WorkingDirectory { get; set; }

    public string? Model { get; set; }

    public string? PermissionMode { get; set; }

    public bool? IncludePartialMessages { get; set; }
}

public sealed class PrepareResult
{
    /// <summary>False when live sessions are off (<c>--live-sessions 0</c>): nothing was started.</summary>
    public required bool Prepared { get; init; }
}

public sealed partial class SessionMethods
{
    public const string Prepare = "session/prepare";

    /// <summary>Starts a spare CLI in a folder so that the next <c>session/create</c> there skips the CLI's start.</summary>
    public async Task<PrepareResult> PrepareAsync(PrepareParams p, CancellationToken cancellationToken)
    {
        var workingDirectory = Require.AbsolutePath(p.WorkingDirectory, "workingDirectory");
        var model = Require.OptionalToken(p.Model, "model");
        var permissionMode = Require.OneOf(p.PermissionMode, "permissionMode", PermissionModes);
        host.RefuseNewTurnsAfterShutdown();
        return new PrepareResult { Prepared = await Sessions.Turns.PrepareAsync(workingDirectory, model, permissionMode, p.IncludePartialMessages ?? false, entrypoint: host.Entrypoint.Name) };
    }
}
