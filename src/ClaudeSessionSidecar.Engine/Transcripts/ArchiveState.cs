using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// A session's archived flag, kept as the official Agent SDK and the CLI keep it: <c>&lt;project dir&gt;/&lt;id&gt;/archived.json</c>
/// = <c>{"archived":true,"at":"…Z","by":"sdk"}</c>, written atomically, folder 0700, file 0600, no trailing newline.
/// The transcript itself is not touched.
/// </summary>
public sealed record ArchiveState(bool Archived, DateTimeOffset At)
{
    public const string FileName = "archived.json";

    public static ArchiveState? Read(string sidecarFolder)
    {
        var path = Path.Combine(sidecarFolder, FileName);
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > 4096 || TranscriptLines.TryParseObject(File.ReadAllText(path)) is not { } state)
            {
                return null;
            }

            return state["archived"]?.Type == JTokenType.Boolean && state["at"] is JValue { Type: JTokenType.String } at && TranscriptSummary.ParseTime((string)at!) is { } time
                ? new ArchiveState((bool)state["archived"]!, time)
                : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the flag for the transcript at <paramref name="transcriptPath"/>, atomically (temp file, then rename).</summary>
    public static void Write(string transcriptPath, bool archived, DateTimeOffset at)
    {
        var folder = Path.Combine(Path.GetDirectoryName(transcriptPath)!, Path.GetFileNameWithoutExtension(transcriptPath));
        if (new DirectoryInfo(folder).LinkTarget is not null)
        {
            // A planted link would send the write outside the config folder.
            throw new IOException($"Refusing to write through the symlink {folder}.");
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var content = new JObject
        {
            ["archived"] = archived,
            ["at"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["by"] = "sdk",
        }.ToString(Formatting.None);
        var temporary = Path.Combine(folder, $".{FileName}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
        }

        File.Move(temporary, Path.Combine(folder, FileName), overwrite: true);
    }
}
