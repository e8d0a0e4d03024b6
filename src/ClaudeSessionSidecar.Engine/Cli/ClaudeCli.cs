using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using ClaudeSessionSidecar.Engine.Diagnostics;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>
/// Starts the real Claude Code CLI in stream-json mode (<see cref="CliProcess"/>), and asks it its version.
/// </summary>
public sealed class ClaudeCli(ClaudeCliOptions options, ISidecarLog log)
{
    /// <summary>The longest stdout line taken from the CLI (16 Mi characters); a longer one is skipped and reported.</summary>
    public const int MaxLineChars = 16 * 1024 * 1024;

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly SemaphoreSlim versionLock = new(1, 1);
    private (DateTime Modified, string? Version)? version;

    public ClaudeCliOptions Options { get; } = options;

    /// <summary>Runs one turn in a process of its own, which ends with the turn.</summary>
    /// <param name="cancellationToken">Stops the turn the safe way; the outcome then has <see cref="CliTurnOutcome.Cancelled"/> set.</param>
    /// <exception cref="CliNotFoundException">The executable is missing or cannot be started.</exception>
    /// <exception cref="CliFailedException">The CLI ended without a result, failed before announcing a session, or timed out.</exception>
    public async Task<CliTurnOutcome> RunTurnAsync(CliTurnRequest request, ITurnObserver observer, CancellationToken cancellationToken)
    {
        await using var process = Start(request.Launch);
        return await process.RunTurnAsync(request.Prompt, observer, keepRunning: false, cancellationToken);
    }

    /// <summary>
    /// Runs the CLI with <paramref name="arguments"/> in this process's terminal (stdio inherited: its own login, for
    /// one), with the same environment as a turn's CLI, and returns its exit code.
    /// </summary>
    /// <exception cref="CliNotFoundException">The executable is missing or cannot be started.</exception>
    public async Task<int> RunInTerminalAsync(IEnumerable<string> arguments)
    {
        var executable = Options.ExecutablePath ?? throw new CliNotFoundException(NotFoundMessage);
        var startInfo = new ProcessStartInfo(executable) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        SetEnvironment(startInfo);
        try
        {
            using var process = Process.Start(startInfo) ?? throw new CliNotFoundException($"The Claude Code CLI at {executable} could not be started.");
            await process.WaitForExitAsync();
            return process.ExitCode;
        }
        catch (Win32Exception exception)
        {
            throw new CliNotFoundException($"The Claude Code CLI at {executable} could not be started: {exception.Message}", exception);
        }
    }

    private const string NotFoundMessage = "The Claude Code CLI was not found: pass --claude-path, set CLAUDE_SIDECAR_CLAUDE_PATH, or put `claude` on PATH.";

    /// <summary>The options' environment changes, and <c>CLAUDE_CONFIG_DIR</c> when the config folder is not the CLI's default.</summary>
    private void SetEnvironment(ProcessStartInfo startInfo)
    {
        foreach (var (name, value) in Options.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        if (Options.ConfigDirectoryOverride is { } configDirectory)
        {
            startInfo.Environment["CLAUDE_CONFIG_DIR"] = configDirectory;
        }
    }

    /// <summary>Starts a CLI process that waits for its first prompt on stdin.</summary>
    /// <exception cref="CliNotFoundException">The executable is missing or cannot be started.</exception>
    public CliProcess Start(CliLaunch launch)
    {
        if (Options.ExecutablePath is null)
        {
            throw new CliNotFoundException(NotFoundMessage);
        }

        var startInfo = new ProcessStartInfo(Options.ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8NoBom,
            StandardOutputEncoding = Utf8NoBom,
            StandardErrorEncoding = Utf8NoBom,
            WorkingDirectory = launch.WorkingDirectory,
        };

        // The prompt never goes on the command line: it is written on stdin, so no prompt is ever read as a flag.
        foreach (var argument in BuildArguments(launch))
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (Options.SessionMirror)
        {
            startInfo.ArgumentList.Add("--session-mirror");
        }

        SetEnvironment(startInfo);

        // Always set: one inherited from the server's own environment (a terminal inside VS Code or Claude Code sets
        // it) would otherwise decide where the session is listed.
        var entrypoint = launch.Entrypoint ?? CliEntrypoint.Programmatic;
        startInfo.Environment["CLAUDE_CODE_ENTRYPOINT"] = CliEntrypoint.IsSafe(entrypoint)
            ? entrypoint
            : throw new ArgumentException($"Not a safe entrypoint name: {entrypoint}", nameof(launch));

        try
        {
            var process = Process.Start(startInfo) ?? throw new CliNotFoundException($"The Claude Code CLI at {Options.ExecutablePath} could not be started.");
            log.Debug($"Started claude (pid {process.Id}) in {launch.WorkingDirectory}: {string.Join(' ', startInfo.ArgumentList)}");
            return new CliProcess(process, launch, Options, log);
        }
        catch (Win32Exception exception)
        {
            throw new CliNotFoundException($"The Claude Code CLI at {Options.ExecutablePath} could not be started: {exception.Message}", exception);
        }
    }

    internal static IReadOnlyList<string> BuildArguments(CliLaunch launch)
    {
        // Tool permission questions come to the host on stdout (can_use_tool) instead of being denied silently.
        var arguments = new List<string> { "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--permission-prompt-tool", "stdio" };
        if (launch.ResumeSessionId is { } sessionId)
        {
            arguments.AddRange(["--resume", sessionId]);
            if (launch.ForkSession)
            {
                arguments.Add("--fork-session");
            }
        }
        else if (launch.NewSessionId is { } newSessionId)
        {
            arguments.AddRange(["--session-id", newSessionId]);
        }

        if (launch.IncludePartialMessages)
        {
            arguments.Add("--include-partial-messages");
        }

        if (launch.Model is { } model)
        {
            arguments.AddRange(["--model", model]);
        }

        if (launch.PermissionMode is { } permissionMode)
        {
            arguments.AddRange(["--permission-mode", permissionMode]);
        }

        if (launch.McpConfig is { } mcpConfig)
        {
            arguments.AddRange(["--mcp-config", mcpConfig]);
        }

        return arguments;
    }

    /// <summary>
    /// The CLI's version (<c>claude --version</c>: "2.1.328 (Claude Code)" gives "2.1.328"), asked again whenever the
    /// executable changes on disk, as in an upgrade under a running server; null when it cannot say.
    /// </summary>
    public async Task<string?> GetVersionAsync()
    {
        if (Options.ExecutablePath is not { } path)
        {
            return null;
        }

        await versionLock.WaitAsync();
        try
        {
            var modified = File.GetLastWriteTimeUtc(Transcripts.RealPath.Resolve(path) ?? path);
            if (version is not { } cached || cached.Modified != modified)
            {
                version = (modified, await ReadVersionAsync());
            }

            return version.Value.Version;
        }
        finally
        {
            versionLock.Release();
        }
    }

    private async Task<string?> ReadVersionAsync()
    {
        if (Options.ExecutablePath is not { } path)
        {
            return null;
        }

        Process? process = null;
        try
        {
            var startInfo = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            startInfo.ArgumentList.Add("--version");
            process = Process.Start(startInfo)!;
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);

            var first = output.Trim().Split(' ', 2)[0];
            return first.Length > 0 && char.IsAsciiDigit(first[0]) ? first : null;
        }
        catch (Exception exception) when (exception is Win32Exception or OperationCanceledException or IOException)
        {
            log.Warning($"`{path} --version` failed: {exception.Message}");
            return null;
        }
        finally
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }

            process?.Dispose();
        }
    }
}
