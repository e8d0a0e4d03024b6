using System.Runtime.InteropServices;

namespace ClaudeSessionSidecar.Engine.Cli;

/// <summary>Polite signals for child processes; .NET only offers SIGKILL (Process.Kill).</summary>
internal static partial class PosixSignals
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    /// <returns>True when the signal was delivered.</returns>
    public static bool Send(int processId, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        return Kill(processId, signal) == 0;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
