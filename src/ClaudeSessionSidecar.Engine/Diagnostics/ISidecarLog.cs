namespace ClaudeSessionSidecar.Engine.Diagnostics;

public enum LogLevel
{
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    None = 4,
}

/// <summary>Where the engine writes its trace. The host decides where that goes (stderr or a file, never stdout).</summary>
public interface ISidecarLog
{
    bool IsEnabled(LogLevel level);

    void Write(LogLevel level, string message);
}

public static class SidecarLogExtensions
{
    public static void Debug(this ISidecarLog log, string message) => log.Write(LogLevel.Debug, message);

    public static void Info(this ISidecarLog log, string message) => log.Write(LogLevel.Info, message);

    public static void Warning(this ISidecarLog log, string message) => log.Write(LogLevel.Warning, message);

    public static void Error(this ISidecarLog log, string message) => log.Write(LogLevel.Error, message);
}

/// <summary>A log that drops everything; for callers that do not care.</summary>
public sealed class NullLog : ISidecarLog
{
    public static readonly NullLog Instance = new();

    public bool IsEnabled(LogLevel level) => false;

    public void Write(LogLevel level, string message)
    {
    }
}
