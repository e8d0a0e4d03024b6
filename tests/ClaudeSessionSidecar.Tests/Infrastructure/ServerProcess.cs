using System.Collections.Concurrent;
using System.Diagnostics;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;
using Xunit.Abstractions;

namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>A JSON-RPC error as a test sees it.</summary>
public sealed record RpcError(int ErrorCode, JToken? ErrorData, string Message);

/// <summary>
/// The built server as editors run it (<see cref="Repository.ServerCommand"/>) over real stdio pipes, with a
/// real JSON-RPC client on the other end. Its stderr goes to the test's output, so a failure shows its trace.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ITestOutputHelper? output;

    private ServerProcess(Process process, ITestOutputHelper? output)
    {
        Process = process;
        this.output = output;
    }

    public Process Process { get; }

    public JsonRpc? Rpc { get; private set; }

    /// <summary>Every <c>session/message</c> notification's params, in arrival order.</summary>
    public ConcurrentQueue<JObject> Messages { get; } = new();

    public TaskCompletionSource<string> FirstSessionId { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the server with a JSON-RPC client attached.</summary>
    /// <param name="permissions">Answers <c>session/requestPermission</c>; null leaves the method unimplemented (method not found).</param>
    /// <param name="answerPermissionAsync">Like <paramref name="permissions"/>, for answers that take their time (or never come).</param>
    public static ServerProcess Start(TestEnvironment environment, ITestOutputHelper? output, string framing = "content-length", string? claudePath = null, Func<JObject, JObject>? permissions = null, Func<JObject, Task<JObject>>? answerPermissionAsync = null, params string[] extraArguments)
    {
        var server = Launch(environment, output, ["--framing", framing, .. extraArguments], claudePath);
        var stdin = server.Process.StandardInput.BaseStream;
        var stdout = server.Process.StandardOutput.BaseStream;
        var formatter = new JsonMessageFormatter();
        IJsonRpcMessageHandler handler = framing == "newline"
            ? new NewLineDelimitedMessageHandler(stdin, stdout, formatter)
            : new HeaderDelimitedMessageHandler(stdin, stdout, formatter);
        server.Rpc = new JsonRpc(handler);
        server.Rpc.AddLocalRpcTarget(new NotificationTarget(server));
        if (permissions is not null)
        {
            answerPermissionAsync = request => Task.FromResult(permissions(request));
        }

        if (answerPermissionAsync is not null)
        {
            server.Rpc.AddLocalRpcTarget(new PermissionTarget(server, answerPermissionAsync));
        }
        server.Rpc.StartListening();
        return server;
    }

    /// <summary>Starts the server with raw stdio, for tests that write bytes themselves.</summary>
    public static ServerProcess Launch(TestEnvironment environment, ITestOutputHelper? output, IEnumerable<string> arguments, string? claudePath = null)
    {
        var process = Process.Start(StartInfo(environment, [], arguments, claudePath))!;
        var server = new ServerProcess(process, output);
        _ = Task.Run(server.PumpStderrAsync);
        return server;
    }

    /// <summary>
    /// One request in <c>call</c> mode, a server process of its own as a script runs it (at most two minutes): its
    /// exit code and what it printed (the result or the error on stdout, the log on stderr).
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> CallAsync(TestEnvironment environment, ITestOutputHelper? output, string method, JObject parameters, params string[] options)
    {
        var (exitCode, stdout, stderr) = await ChildProcess.RunToEndAsync(StartInfo(environment, ["call", method, parameters.ToString(Newtonsoft.Json.Formatting.None)], options, claudePath: null));
        output?.WriteLine($"call {method} {parameters.ToString(Newtonsoft.Json.Formatting.None)} -> exit {exitCode}\n{stdout}\n{stderr}");
        return (exitCode, stdout, stderr);
    }

    /// <summary>The server's command line on the environment's folders: <paramref name="leading"/>, the store, the CLI and the log level, then <paramref name="trailing"/>.</summary>
    private static ProcessStartInfo StartInfo(TestEnvironment environment, IEnumerable<string> leading, IEnumerable<string> trailing, string? claudePath)
    {
        var startInfo = new ProcessStartInfo(Repository.ServerCommand[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = environment.Root,
        };
        foreach (var argument in Repository.ServerCommand.Skip(1).Concat(leading)
            .Concat(["--store", environment.StoreDirectory, "--claude-path", claudePath ?? RealClaudeCli.Path, "--log-level", "debug"]).Concat(trailing))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment.Variables())
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    /// <summary>A raw client on the process's stdio; for a server launched with <c>--framing newline</c>.</summary>
    public RawJsonRpcClient RawClient() => new(Process.StandardOutput.BaseStream, Process.StandardInput.BaseStream);

    public Task<JToken> InvokeAsync(string method, object? parameters = null, CancellationToken cancellationToken = default) =>
        Rpc!.InvokeWithParameterObjectAsync<JToken>(method, parameters, cancellationToken);

    /// <summary>Sends a request that must fail, and returns the error's code and data.</summary>
    /// <remarks>StreamJsonRpc's client turns -32601 and -32602 into <see cref="RemoteMethodNotFoundException"/>.</remarks>
    public async Task<RpcError> InvokeExpectingErrorAsync(string method, object? parameters = null)
    {
        var error = await Assert.ThrowsAnyAsync<RemoteRpcException>(() => InvokeAsync(method, parameters));
        output?.WriteLine($"{method} -> {error.GetType().Name} {error.Message}");
        return error switch
        {
            RemoteInvocationException invocation => new RpcError(invocation.ErrorCode, invocation.ErrorData as JToken, invocation.Message),
            RemoteMethodNotFoundException notFound => new RpcError((int)notFound.ErrorCode, notFound.ErrorData as JToken, notFound.Message),
            _ => new RpcError((int?)error.ErrorCode ?? 0, null, error.Message),
        };
    }

    /// <summary>The server's Claude Code CLI children that run turns (stream-json mode), seen in /proc; sorted pids.</summary>
    public List<int> CliChildren()
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                // "pid (comm) state ppid ...": the comm may hold spaces, so read after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == Process.Id && fields[0] != "Z" && commandLine.Contains("--input-format", StringComparison.Ordinal))
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        children.Sort();
        return children;
    }

    /// <summary>Whether a process is running (a zombie, exited but not yet reaped, counts as ended).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The polite end: <c>shutdown</c>, <c>exit</c>, and the process's exit code.</summary>
    public async Task<int> ShutdownAsync()
    {
        await InvokeAsync("shutdown");
        await Rpc!.NotifyAsync("exit");
        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    private bool disposed;

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await Process.WaitForExitAsync(timeout.Token);
        return Process.ExitCode;
    }

    /// <summary>Ends the server (idempotent: a test may stop it before its scope ends).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Rpc?.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private sealed class NotificationTarget(ServerProcess server)
    {
        [JsonRpcMethod("session/message", UseSingleObjectParameterDeserialization = true)]
        public void OnMessage(JToken parameters) => server.OnMessage(parameters);
    }

    /// <summary>Every <c>session/requestPermission</c> the server sent.</summary>
    public ConcurrentQueue<JObject> PermissionRequests { get; } = new();

    private sealed class PermissionTarget(ServerProcess server, Func<JObject, Task<JObject>> answer)
    {
        [JsonRpcMethod("session/requestPermission", UseSingleObjectParameterDeserialization = true)]
        public Task<JObject> RequestPermissionAsync(JToken parameters)
        {
            server.PermissionRequests.Enqueue((JObject)parameters);
            return answer((JObject)parameters);
        }
    }

    private void OnMessage(JToken parameters)
    {
        var notification = (JObject)parameters;
        Messages.Enqueue(notification);
        FirstSessionId.TrySetResult((string)notification["sessionId"]!);
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await Process.StandardError.ReadLineAsync() is { } line)
            {
                output?.WriteLine("[server] " + line);
            }
        }
        catch (InvalidOperationException)
        {
            // The test finished; its output is closed.
        }
    }
}
