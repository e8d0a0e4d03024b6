using ClaudeSessionSidecar.Engine.Cli;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Engine.Transcripts;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>
/// <c>ClaudeSessionSidecar [options] --cli ARGS...</c>: runs the Claude Code CLI the server would run, with ARGS, in
/// this terminal (its stdio inherited), and exits with its exit code. This is the agent's own command that ACP's
/// terminal login runs (<c>--cli auth login</c>), as the anchor's <c>--cli</c> does; the server's options before
/// <c>--cli</c> choose the CLI and its config folder as they do for the server.
/// </summary>
internal static class CliPassthrough
{
    public const string Flag = "--cli";

    public static async Task<int> RunAsync(ServerOptions options, IReadOnlyList<string> cliArguments, ISidecarLog log)
    {
        var cli = SidecarHost.CreateCli(options, ClaudeConfigDirectory.Resolve(options.ClaudeConfigDirectory, Environment.GetEnvironmentVariable), log);
        try
        {
            return await cli.RunInTerminalAsync(cliArguments);
        }
        catch (CliNotFoundException exception)
        {
            await Console.Error.WriteLineAsync(exception.Message);
            return 1;
        }
    }

    /// <summary>The command line that runs this executable with <paramref name="cliArguments"/> after <see cref="Flag"/>, keeping the server's own arguments before it.</summary>
    public static (string Command, List<string> Arguments) CommandFor(params string[] cliArguments)
    {
        var commandLine = Environment.GetCommandLineArgs();
        var processPath = Environment.ProcessPath ?? commandLine[0];

        // Under `dotnet x.dll`, the process is dotnet and the first argument the dll.
        var leading = Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? [commandLine[0]] : Array.Empty<string>();
        return (processPath, [.. leading, .. commandLine[1..], Flag, .. cliArguments]);
    }
}
