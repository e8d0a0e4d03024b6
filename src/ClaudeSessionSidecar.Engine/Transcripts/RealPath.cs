using System.Runtime.InteropServices;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>The canonical path with every symlink resolved, as the CLI sees its working directory (getcwd).</summary>
public static partial class RealPath
{
    /// <summary>Whether a real path lies strictly below a real folder (compared by character, as real paths are).</summary>
    public static bool IsBelow(string realPath, string realFolder) =>
        realPath.StartsWith(realFolder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <returns>The real path, or null when the path does not exist.</returns>
    public static string? Resolve(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.Exists(path) || File.Exists(path) ? Path.GetFullPath(path) : null;
        }

        var resolved = NativeRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolvedPath);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);
}
