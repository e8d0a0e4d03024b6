using ClaudeSessionSidecar.Acp;
using ClaudeSessionSidecar.Engine.Diagnostics;
using ClaudeSessionSidecar.Hosting;

// Parses options, keeps stdout for the wire alone, builds the host on stdio, and returns its exit code.
if (args.Length > 0 && args[0] == "call")
{
    var result = Console.Out;
    Console.SetOut(Console.Error);
    return await OneShotCall.RunAsync(args[1..], result, Console.Error);
}

// `--cli ARGS...`: the CLI itself, in this terminal (ACP's terminal login runs the agent's command so).
var cliAt = Array.IndexOf(args, CliPassthrough.Flag);
var serverArguments = cliAt < 0 ? args : args[..cliAt];

ServerOptions options;
try
{
    // `acp` as the first argument is the short form of --protocol acp (what editors' agent settings name).
    options = ServerOptions.Parse(serverArguments.Length > 0 && serverArguments[0] == "acp" ? ["--protocol", "acp", .. serverArguments[1..]] : serverArguments);
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync($"{exception.Message}\n\n{ServerOptions.Usage}");
    return 2;
}

if (cliAt >= 0)
{
    using var cliLog = new TextWriterLog(Console.Error, options.LogLevel);
    return await CliPassthrough.RunAsync(options, args[(cliAt + 1)..], cliLog);
}

if (options.ShowHelp)
{
    Console.WriteLine(ServerOptions.Usage);
    return 0;
}

if (options.ShowVersion)
{
    Console.WriteLine($"{SidecarHost.ServerName} {SidecarHost.ServerVersion}");
    return 0;
}

var stdout = Console.OpenStandardOutput();
var stdin = Console.OpenStandardInput();

// Anything that writes to Console.Out by mistake lands in stderr, not in the middle of a JSON-RPC message.
Console.SetOut(Console.Error);

using var log = options.LogFile is null ? new TextWriterLog(Console.Error, options.LogLevel) : TextWriterLog.ToFile(options.LogFile, options.LogLevel);
try
{
    var services = SidecarHost.CreateServices(options, log);
    await using var host = new SidecarHost(stdin, stdout, services, options.Framing, log, options.Protocol) { EntrypointOption = options.Entrypoint };
    host.Start();
    return await host.WaitForExitAsync();
}
catch (Exception exception) when (SidecarHost.IsStartFailure(exception))
{
    log.Error($"The server could not start: {exception.Message}");
    return 1;
}
