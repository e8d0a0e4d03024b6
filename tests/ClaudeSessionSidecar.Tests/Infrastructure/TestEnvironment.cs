namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>
/// A throw-away world for one test: a CLI config folder (never the real ~/.claude), a store, a HOME and a
/// workspace, all under one temporary folder that is deleted afterwards; plus the fake Messages API's address.
/// </summary>
public sealed class TestEnvironment : IDisposable
{
    public TestEnvironment(string? apiBaseUrl = null)
    {
        // Real path: on some machines the temp folder is itself behind a symlink.
        Root = Engine.Transcripts.RealPath.Resolve(Directory.CreateTempSubdirectory("css-test-").FullName)!;
        ConfigDirectory = Create("claude-config");
        StoreDirectory = Create("store");
        Home = Create("home");
        Workspace = Create("workspace");
        ApiBaseUrl = apiBaseUrl;
    }

    public string Root { get; }

    public string ConfigDirectory { get; }

    public string ProjectsDirectory => Path.Combine(ConfigDirectory, "projects");

    public string StoreDirectory { get; }

    public string Home { get; }

    public string Workspace { get; }

    public string? ApiBaseUrl { get; }

    /// <summary>Makes a folder (and its parents) under the root.</summary>
    public string Create(string relativePath) => Directory.CreateDirectory(Path.Combine(Root, relativePath)).FullName;

    /// <summary>What the server (and through it, the CLI) runs with: offline, against the fake API, away from the real home.</summary>
    public IDictionary<string, string?> Variables() => new Dictionary<string, string?>
    {
        ["ANTHROPIC_BASE_URL"] = ApiBaseUrl,
        ["ANTHROPIC_API_KEY"] = "sk-test-fake",
        ["DISABLE_TELEMETRY"] = "1",
        ["DISABLE_AUTOUPDATER"] = "1",
        ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        ["CLAUDE_CONFIG_DIR"] = ConfigDirectory,
        ["HOME"] = Home,
        ["XDG_DATA_HOME"] = Path.Combine(Home, ".local", "share"),
        ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
        ["CLAUDE_SIDECAR_CLAUDE_PATH"] = null,
        ["CLAUDE_HOME"] = null,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A CLI still finishing in the background; the OS cleans temp folders.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
