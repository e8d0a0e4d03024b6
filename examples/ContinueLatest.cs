#!/usr/bin/env -S dotnet run
// Continue the newest resumable session of a folder, or start one: a C# client with StreamJsonRpc over the
// server's stdio (Content-Length framing), as a .NET 10 file-based app.
//   dotnet run examples/ContinueLatest.cs -- <folder> <prompt>
// Prints "session <id>" and the reply. Env: SIDECAR (the server command, split on spaces; default: the dotnet
// tool, else the Release build in this repository).
#:package StreamJsonRpc@2.26.150
// Inside this repository, Directory.Build.props turns on central package management, which refuses a version here.
#:property ManagePackageVersionsCentrally=false
// File-based apps default to native AOT; StreamJsonRpc's Newtonsoft formatter needs reflection.
#:property PublishAot=false

using System.Diagnostics;
using StreamJsonRpc;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: dotnet run examples/ContinueLatest.cs -- <folder> <prompt>");
    return 2;
}

const int NotResumable = -31001; // stdio-protocol.md, "Errors"
var folder = Path.GetFullPath(args[0]);
var prompt = args[1];

using var server = Process.Start(ServerStartInfo())!;
using var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(server.StandardInput.BaseStream, server.StandardOutput.BaseStream));
rpc.StartListening();

await rpc.InvokeWithParameterObjectAsync<object>("initialize", new { clientInfo = new { name = "ContinueLatest.cs" } });

int exitCode;
try
{
    var answer = await ContinueOrCreateAsync();
    Console.WriteLine($"session {answer.SessionId}");
    Console.WriteLine(answer.Result.Text);
    exitCode = answer.Result.IsError ? 1 : 0;
}
catch (RemoteInvocationException error)
{
    // Every error the server raises itself has a code and a stable data.reason (stdio-protocol.md, "Errors").
    Console.Error.WriteLine($"error {error.ErrorCode} ({Reason(error)}): {error.Message}");
    exitCode = 1;
}

await rpc.InvokeAsync("shutdown");
await rpc.NotifyAsync("exit");
await server.WaitForExitAsync();
return exitCode;

async Task<TurnAnswer> ContinueOrCreateAsync()
{
    var latest = await rpc.InvokeWithParameterObjectAsync<ListResumableResult>(
        "session/listResumable", new { workingDirectory = folder, limit = 1, includeExternal = true });
    if (latest.Sessions.FirstOrDefault() is not { } session)
    {
        Console.Error.WriteLine($"no resumable session in {folder}: starting one");
        return await CreateAsync();
    }

    Console.Error.WriteLine($"continuing {session.SessionId}");
    try
    {
        return await rpc.InvokeWithParameterObjectAsync<TurnAnswer>("session/resume", new { sessionId = session.SessionId, prompt });
    }
    catch (RemoteInvocationException error) when (error.ErrorCode == NotResumable)
    {
        // Gone between the listing and the resume (deleted, or cleaned up by the CLI).
        Console.Error.WriteLine($"{session.SessionId} no longer resumes ({Reason(error)}): starting a new session");
        return await CreateAsync();
    }
}

Task<TurnAnswer> CreateAsync() =>
    rpc.InvokeWithParameterObjectAsync<TurnAnswer>("session/create", new { workingDirectory = folder, prompt });

static string? Reason(RemoteInvocationException error) =>
    (error.ErrorData as Newtonsoft.Json.Linq.JToken)?["reason"]?.ToString();

static ProcessStartInfo ServerStartInfo()
{
    string[] command = Environment.GetEnvironmentVariable("SIDECAR") is { Length: > 0 } configured
        ? configured.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        : OnPath("claude-session-sidecar") is { } tool
            ? [tool]
            : ["dotnet", Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, "..", "src", "ClaudeSessionSidecar", "bin", "Release", "net10.0", "ClaudeSessionSidecar.dll")];
    var startInfo = new ProcessStartInfo(command[0]) { RedirectStandardInput = true, RedirectStandardOutput = true };
    foreach (var argument in command.Skip(1))
    {
        startInfo.ArgumentList.Add(argument);
    }

    return startInfo;
}

static string? OnPath(string name) =>
    (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
        .Select(directory => Path.Combine(directory, name))
        .FirstOrDefault(File.Exists);

record ListResumableResult(List<ListedSession> Sessions);

record ListedSession(string SessionId);

record TurnAnswer(string SessionId, TurnResult Result);

record TurnResult(string? Text, bool IsError);
