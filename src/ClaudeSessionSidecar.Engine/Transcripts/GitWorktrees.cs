using System.Diagnostics;
using System.Text;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// The git worktrees of the repository a folder is in, as the official SDK's <c>listSessions({dir})</c> finds them to
/// list their sessions with the folder's: <c>git -c core.hooksPath=/dev/null -c core.fsmonitor= worktree list --porcelain</c>
/// run in the folder (5 s at most), every <c>worktree &lt;path&gt;</c> line (Unicode normalized to NFC, as the SDK does). No git, no repository, or a failure: none.
/// </summary>
public static class GitWorktrees
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Every worktree of the folder's repository, the main checkout first (git's order); empty when there is none to ask.</summary>
    /// <param name="realDirectory">The folder, by its real path.</param>
    public static IReadOnlyList<string> Of(string realDirectory)
    {
        if (!MayBeInRepository(realDirectory))
        {
            return [];
        }

        try
        {
            var startInfo = new ProcessStartInfo("git")
            {
                WorkingDirectory = realDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var argument in (string[])["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=", "worktree", "list", "--porcelain"])
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var git = new Process { StartInfo = startInfo };
            var worktrees = new List<string>();
            git.OutputDataReceived += (_, line) =>
            {
                if (line.Data is { } data && data.StartsWith("worktree ", StringComparison.Ordinal) && data.Length > "worktree ".Length)
                {
                    lock (worktrees)
                    {
                        worktrees.Add(data["worktree ".Length..].Normalize(NormalizationForm.FormC));
                    }
                }
            };
            git.ErrorDataReceived += (_, _) => { };
            git.Start();
            git.StandardInput.Close();
            git.BeginOutputReadLine();
            git.BeginErrorReadLine();
            if (!git.WaitForExit(Timeout))
            {
                git.Kill(entireProcessTree: true);
                return [];
            }

            // The timed wait returns at the exit; this one also waits for the output's last line to be read.
            git.WaitForExit();
            lock (worktrees)
            {
                return git.ExitCode == 0 ? worktrees.ToList() : [];
            }
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>
    /// False when git would find no repository: no <c>.git</c> in the folder or any folder above it, and no
    /// <c>GIT_DIR</c> naming one. Saves starting git for every listing of a folder outside any repository.
    /// </summary>
    private static bool MayBeInRepository(string realDirectory)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GIT_DIR")))
        {
            return true;
        }

        for (var directory = realDirectory; !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
        {
            if (Path.Exists(Path.Combine(directory, ".git")))
            {
                return true;
            }
        }

        return false;
    }
}
