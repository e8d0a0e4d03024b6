using System.Text;
using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.Resumability;

/// <summary>
/// The crafted transcripts of TestData/resumability, each with the real CLI's verdict (manifest.json), and the
/// way to lay one out in a config folder as a session of a working directory.
/// </summary>
public static class TranscriptCorpus
{
    public const string PlaceholderSessionId = "00000000-0000-4000-8000-000000000000";
    public const string PlaceholderWorkingDirectory = "/__CWD__";

    private static readonly Lazy<IReadOnlyDictionary<string, JObject>> Manifest = new(() =>
        ((JArray)TranscriptLines.Parse(File.ReadAllText(Repository.TestData("resumability", "manifest.json"))))
            .Cast<JObject>()
            .ToDictionary(entry => (string)entry["case"]!));

    public static JObject Case(string name) => Manifest.Value[name];

    /// <summary>Every case but the ~139 MB one (kept in the manifest as a measurement; too big for every test run).</summary>
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var (name, entry) in Manifest.Value)
        {
            if (entry["slow"]?.Value<bool>() != true)
            {
                data.Add(name);
            }
        }

        return data;
    }

    /// <summary>What the real CLI did with the case: true when it resumed the session.</summary>
    public static bool CliResumes(string name) => (string?)Case(name)["outcome"] == "resumed";

    /// <summary>Lays the case out as <c>projects/&lt;dir of cwd&gt;/&lt;new id&gt;.jsonl</c> (or as its kind says) and returns the id and path.</summary>
    public static (string SessionId, string FilePath) Materialize(TestEnvironment environment, string name, string workingDirectory)
    {
        var entry = Case(name);
        var sessionId = Guid.NewGuid().ToString();
        var kind = (string?)entry["kind"];
        var projectDirectory = Path.Combine(environment.ProjectsDirectory, kind == "other-project" ? "-some-other-project" : ProjectDirectoryName.Encode(workingDirectory));
        Directory.CreateDirectory(projectDirectory);
        var path = Path.Combine(projectDirectory, sessionId + ".jsonl");

        switch (kind)
        {
            case "absent":
                return (sessionId, path);
            case "directory":
                Directory.CreateDirectory(path);
                return (sessionId, path);
            case "symlink":
                // The target stays inside the projects folder: the sidecar follows no link out of it (see TranscriptLocator).
                var target = Path.Combine(environment.ProjectsDirectory, "-link-targets", sessionId + ".jsonl");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllBytes(target, Content(name, sessionId, workingDirectory));
                File.CreateSymbolicLink(path, target);
                return (sessionId, path);
            default:
                File.WriteAllBytes(path, Content(name, sessionId, workingDirectory));
                if (kind == "noperm")
                {
                    File.SetUnixFileMode(path, UnixFileMode.None);
                }

                return (sessionId, path);
        }
    }

    private static byte[] Content(string name, string sessionId, string workingDirectory)
    {
        var entry = Case(name);
        var file = Repository.TestData("resumability", name + ".jsonl");
        var body = File.Exists(file) ? File.ReadAllBytes(file) : [];
        if (entry["generate"] is JObject generate)
        {
            var pad = Encoding.UTF8.GetBytes((string)generate["padLine"]! + "\n");
            using var stream = new MemoryStream();
            for (var i = 0; i < ((int?)generate["padLinesBefore"] ?? 0); i++)
            {
                stream.Write(pad);
            }

            stream.Write(body);
            for (var i = 0; i < ((int?)generate["padLinesAfter"] ?? 0); i++)
            {
                stream.Write(pad);
            }

            body = stream.ToArray();
        }

        // Replace the placeholders as bytes, so that damaged bytes (NUL, a BOM, cut UTF-8) stay exactly as crafted.
        var escapedDirectory = new JValue(workingDirectory).ToString(Newtonsoft.Json.Formatting.None)[1..^1];
        return Replace(Replace(body, PlaceholderSessionId, sessionId), PlaceholderWorkingDirectory, escapedDirectory);
    }

    private static byte[] Replace(byte[] haystack, string needle, string replacement)
    {
        var from = Encoding.UTF8.GetBytes(needle);
        var to = Encoding.UTF8.GetBytes(replacement);
        using var result = new MemoryStream(haystack.Length);
        var span = haystack.AsSpan();
        int index;
        while ((index = span.IndexOf(from)) >= 0)
        {
            result.Write(span[..index]);
            result.Write(to);
            span = span[(index + from.Length)..];
        }

        result.Write(span);
        return result.ToArray();
    }
}
