using ClaudeSessionSidecar.Engine.Identifiers;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// Finds transcripts the way the CLI does: <c>projects/&lt;project dir&gt;/&lt;session id&gt;.jsonl</c>, where the project
/// dir comes from <see cref="ProjectDirectoryName"/>; and, like the CLI's <c>--resume</c>, in any other project folder.
/// Nothing it returns lies outside the projects folder, even through a planted symlink.
/// </summary>
public sealed class TranscriptLocator(ClaudeConfigDirectory configDirectory)
{
    public const string Extension = ".jsonl";

    public ClaudeConfigDirectory ConfigDirectory { get; } = configDirectory;

    /// <summary>The project folders that may hold transcripts of a working directory, most likely first.</summary>
    public IEnumerable<string> ProjectDirectoriesFor(string realWorkingDirectory)
    {
        var exact = Path.Combine(ConfigDirectory.ProjectsPath, ProjectDirectoryName.Encode(realWorkingDirectory));
        if (Directory.Exists(exact))
        {
            yield return exact;
        }

        var sanitized = ProjectDirectoryName.Sanitize(realWorkingDirectory);
        if (sanitized.Length <= ProjectDirectoryName.MaxLength || !Directory.Exists(ConfigDirectory.ProjectsPath))
        {
            yield break;
        }

        // Another CLI build may hash long names differently: the 200-character prefix still matches.
        var prefix = sanitized[..ProjectDirectoryName.MaxLength] + "-";
        foreach (var candidate in Directory.EnumerateDirectories(ConfigDirectory.ProjectsPath, prefix + "*"))
        {
            if (candidate != exact)
            {
                yield return candidate;
            }
        }
    }

    /// <summary>Every project folder under <c>projects/</c>.</summary>
    public IEnumerable<string> AllProjectDirectories() =>
        Directory.Exists(ConfigDirectory.ProjectsPath) ? Directory.EnumerateDirectories(ConfigDirectory.ProjectsPath) : [];

    /// <summary>The transcript of a session, or null when there is none inside the projects folder.</summary>
    /// <param name="realWorkingDirectory">Where the session ran, when known: its folder is looked in first.</param>
    public string? Locate(string sessionId, string? realWorkingDirectory)
    {
        var normalized = SessionId.Normalize(sessionId) ?? throw new ArgumentException("Not a session id.", nameof(sessionId));
        var fileName = normalized + Extension;
        var preferred = realWorkingDirectory is null ? [] : ProjectDirectoriesFor(realWorkingDirectory);
        foreach (var directory in preferred.Concat(AllProjectDirectories()))
        {
            var candidate = Path.Combine(directory, fileName);
            if (Path.Exists(candidate) && IsInsideProjects(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The transcripts in one project folder (files named <c>&lt;uuid&gt;.jsonl</c>), with their session ids.</summary>
    public IEnumerable<(string SessionId, string FilePath)> TranscriptsIn(string projectDirectory)
    {
        if (!Directory.Exists(projectDirectory) || !IsInsideProjects(projectDirectory))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(projectDirectory, "*" + Extension))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (SessionId.Normalize(name) == name)
            {
                yield return (name, file);
            }
        }
    }

    /// <summary>True when the path, with symlinks resolved, stays inside the projects folder.</summary>
    public bool IsInsideProjects(string path)
    {
        var projects = RealPath.Resolve(ConfigDirectory.ProjectsPath);
        var real = RealPath.Resolve(path);
        return projects is not null && real is not null && RealPath.IsBelow(real, projects);
    }
}
