namespace ClaudeSessionSidecar.Tests.Infrastructure;

/// <summary>Paths inside this repository, found from the test assembly's folder.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } =
        Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar))!)!;

    /// <summary>The built server, as <c>dotnet ClaudeSessionSidecar.dll</c> runs it.</summary>
    public static string ServerDll => Path.Combine(Root, "src", "ClaudeSessionSidecar", "bin", Configuration, "net10.0", "ClaudeSessionSidecar.dll");

    /// <summary>
    /// The server that process-level tests launch: <c>SIDECAR_SERVER</c> (a published executable, such as the
    /// NativeAOT build that users install) when set, else the JIT build, <c>dotnet ClaudeSessionSidecar.dll</c>.
    /// </summary>
    public static IReadOnlyList<string> ServerCommand { get; } =
        Environment.GetEnvironmentVariable("SIDECAR_SERVER") is { Length: > 0 } server ? [server] : ["dotnet", ServerDll];

    public static string TestData(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ClaudeSessionSidecar.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with ClaudeSessionSidecar.sln) is not above " + AppContext.BaseDirectory);
    }
}
