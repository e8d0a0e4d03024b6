using ClaudeSessionSidecar.Engine.Diagnostics;

namespace ClaudeSessionSidecar.Hosting;

/// <summary>The log: one timestamped line per entry, to stderr or a file readable by its owner alone. Never stdout: that is the wire.</summary>
public sealed class TextWriterLog(TextWriter writer, LogLevel minimum) : ISidecarLog, IDisposable
{
    private readonly Lock gate = new();

    public static TextWriterLog ToFile(string path, LogLevel minimum)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new TextWriterLog(new StreamWriter(new FileStream(Path.GetFullPath(path), options)) { AutoFlush = true }, minimum);
    }

    public bool IsEnabled(LogLevel level) => level >= minimum && level != LogLevel.None;

    public void Write(LogLevel level, string message)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        lock (gate)
        {
            writer.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level.ToString().ToUpperInvariant()} {message}");
            writer.Flush();
        }
    }

    public void Dispose() => writer.Dispose();
}
