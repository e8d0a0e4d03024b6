using System.Runtime.InteropServices;

namespace ClaudeSessionSidecar.Engine.Store;

/// <summary>
/// How many times each watched folder has changed, from Linux's inotify: one descriptor for the process, its queue read
/// (without waiting) at the moment of asking. The kernel queues an event inside the system call that makes the change,
/// so a change completed before <see cref="Changes"/> is always counted; a watcher thread (FileSystemWatcher) could
/// count it too late. Anything unexpected (a full queue, a folder no longer watched) makes the folder unwatched, and
/// an unwatched folder has no count: a caller that trusts an unchanged count never misses a change.
/// </summary>
internal sealed partial class FolderChanges
{
    // inotify(7): what changes a folder (a file in it written, its attributes or times, created, deleted, renamed; the folder itself gone).
    private const uint Modify = 0x2, Attrib = 0x4, CloseWrite = 0x8, MovedFrom = 0x40, MovedTo = 0x80, Create = 0x100, Delete = 0x200, DeleteSelf = 0x400, MoveSelf = 0x800;
    private const uint QueueOverflow = 0x4000, Ignored = 0x8000;
    private const uint WatchMask = Modify | Attrib | CloseWrite | MovedFrom | MovedTo | Create | Delete | DeleteSelf | MoveSelf;
    private const int NonBlocking = 0x800, CloseOnExec = 0x80000;
    private const int TryAgain = 11;

    private readonly Lock gate = new();
    private readonly Dictionary<int, string> folderByWatch = [];
    private readonly Dictionary<string, int> watchByFolder = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> changeCounts = new(StringComparer.Ordinal);
    private readonly byte[] buffer = new byte[64 * 1024];
    private readonly int descriptor;

    private FolderChanges(int descriptor) => this.descriptor = descriptor;

    /// <summary>The process's one watcher (inotify instances are few per user); null where inotify is not to be had.</summary>
    public static FolderChanges? Shared { get; } = TryCreate();

    private static FolderChanges? TryCreate()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var descriptor = InotifyInit(NonBlocking | CloseOnExec);
        return descriptor < 0 ? null : new FolderChanges(descriptor);
    }

    /// <summary>
    /// Watches the folder (from now on, if not yet) and gives its change count: call it just before reading the
    /// folder, so that a change made while it is read makes <see cref="Changes"/> differ afterwards.
    /// </summary>
    /// <returns>Null when the folder cannot be watched (a limit reached, the folder gone).</returns>
    public long? Watch(string folder)
    {
        lock (gate)
        {
            Drain();
            if (!watchByFolder.ContainsKey(folder))
            {
                var watch = IsLocalFileSystem(folder) ? InotifyAddWatch(descriptor, folder, WatchMask) : -1;
                if (watch < 0)
                {
                    return null;
                }

                // The same folder under another name (a link) gets the same watch: it counts for the name watched last.
                if (folderByWatch.TryGetValue(watch, out var other))
                {
                    watchByFolder.Remove(other);
                    Count(other);
                }

                folderByWatch[watch] = folder;
                watchByFolder[folder] = watch;
            }

            return changeCounts.GetValueOrDefault(folder);
        }
    }

    /// <summary>The folder's change count now; null when it is not watched (so no earlier count can match).</summary>
    public long? Changes(string folder)
    {
        lock (gate)
        {
            Drain();
            return watchByFolder.ContainsKey(folder) ? changeCounts.GetValueOrDefault(folder) : null;
        }
    }

    /// <summary>Reads every queued event without waiting, and marks the folders they name changed.</summary>
    private unsafe void Drain()
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var read = Read(descriptor, start, buffer.Length);
                if (read <= 0)
                {
                    if (read < 0 && Marshal.GetLastPInvokeError() != TryAgain)
                    {
                        ForgetAll();
                    }

                    return;
                }

                // struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[len]; }
                for (var offset = 0; offset + 16 <= read;)
                {
                    var watch = *(int*)(start + offset);
                    var mask = *(uint*)(start + offset + 4);
                    var nameLength = *(uint*)(start + offset + 12);
                    offset += 16 + (int)nameLength;
                    if ((mask & QueueOverflow) != 0)
                    {
                        // Events were lost: every folder counts as changed, and watching starts afresh.
                        ForgetAll();
                        continue;
                    }

                    if (folderByWatch.TryGetValue(watch, out var folder))
                    {
                        Count(folder);
                        if ((mask & Ignored) != 0)
                        {
                            // The folder is gone (or was unmounted): its watch with it.
                            folderByWatch.Remove(watch);
                            watchByFolder.Remove(folder);
                        }
                    }
                }
            }
        }
    }

    private void ForgetAll()
    {
        foreach (var (folder, watch) in watchByFolder)
        {
            InotifyRemoveWatch(descriptor, watch);
            Count(folder);
        }

        watchByFolder.Clear();
        folderByWatch.Clear();
    }

    /// <summary>
    /// Whether the folder is on a file system whose every change this machine's kernel makes itself (so inotify hears
    /// of it): not a network or FUSE file system, where another machine or a user-space server may change files unseen.
    /// </summary>
    private static unsafe bool IsLocalFileSystem(string folder)
    {
        // struct statfs begins with f_type (a long on 64-bit Linux); 256 bytes hold the rest.
        var info = stackalloc long[32];
        if (StatFs(folder, info) != 0)
        {
            return false;
        }

        return (uint)info[0] is 0xEF53 // ext2/3/4
            or 0x58465342 // xfs
            or 0x9123683E // btrfs
            or 0x01021994 // tmpfs
            or 0x794C7630 // overlayfs
            or 0x2FC12FC1 // zfs
            or 0xF2F52010 // f2fs
            or 0xCA451A4E; // bcachefs
    }

    private void Count(string folder) => changeCounts[folder] = changeCounts.GetValueOrDefault(folder) + 1;

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInit(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InotifyAddWatch(int descriptor, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "inotify_rm_watch", SetLastError = true)]
    private static partial int InotifyRemoveWatch(int descriptor, int watch);

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatFs(string path, long* buffer);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int descriptor, byte* buffer, nint count);

}
