namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// A fake <c>claude</c> for the faults the real one will not produce on demand: a bash script written into the
/// test's folder. Never used where the real CLI can show the behaviour.
/// </summary>
public static class ScriptedCli
{
    public const string SessionId = "5d8f6b0e-3c2a-4e1f-9b7a-0c1d2e3f4a5b";

    public static string Init => $$"""{"type":"system","subtype":"init","session_id":"{{SessionId}}","cwd":"/tmp"}""";

    public static string Result => $$"""{"type":"result","subtype":"success","is_error":false,"result":"scripted","session_id":"{{SessionId}}","num_turns":1,"duration_ms":1,"total_cost_usd":0}""";

    /// <summary>Writes an executable script whose body runs after the prompt line has been read from stdin.</summary>
    public static string Write(TestEnvironment environment, string name, string body)
    {
        var path = Path.Combine(environment.Root, name);
        File.WriteAllText(path, "#!/usr/bin/env bash\nread -r prompt\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
