using System.ComponentModel;
using System.Runtime.InteropServices;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// Appends with <c>O_APPEND</c>, as the CLI and the SDK do: the kernel puts each write at the end of the file at that
/// moment, so a line written here never overwrites one the CLI writes at the same time. (.NET's FileMode.Append
/// remembers the end when the file is opened and writes there.)
/// </summary>
internal static partial class AppendOnlyFile
{
    public static void Append(string path, ReadOnlySpan<byte> bytes)
    {
        if (OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.Write(bytes);
            return;
        }

        var flags = OperatingSystem.IsMacOS() ? 0x0001 | 0x0008 : 0x0001 | 0x0400; // O_WRONLY | O_APPEND
        var descriptor = Open(path, flags);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open {path} for appending.", new Win32Exception(Marshal.GetLastPInvokeError()));
        }

        try
        {
            while (bytes.Length > 0)
            {
                var written = Write(descriptor, bytes, bytes.Length);
                if (written <= 0)
                {
                    throw new IOException($"Cannot append to {path}.", new Win32Exception(Marshal.GetLastPInvokeError()));
                }

                bytes = bytes[(int)written..];
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int descriptor, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
