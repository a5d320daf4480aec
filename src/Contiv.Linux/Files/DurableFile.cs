using Contiv.Linux.Interop;

namespace Contiv.Linux;

/// <summary>
/// Crash-safe replacement of a small state file: the new content goes to a temporary file that is
/// fsynced, renamed over the old one, and the directory is fsynced, so after a power loss or a
/// SIGKILL the file holds either the old or the new version, never a torn one.
/// </summary>
public static class DurableFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> durably (temp file, fsync, rename, fsync of the directory).</summary>
    /// <param name="path">The state file.</param>
    /// <param name="content">Its complete new content.</param>
    public static void WriteAllText(string path, string content)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = full + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new StreamWriter(f))
        {
            w.Write(content);
            w.Flush();
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, full, overwrite: true);
        SyncDirectory(dir);
    }

    /// <summary>Fsyncs a directory so that a rename inside it survives a crash.</summary>
    /// <exception cref="IOException">The directory cannot be opened or synced (names it and the errno).</exception>
    public static void SyncDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var fd = Libc.Open(directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"open {directory} for fsync: {Describe(Libc.LastErrno)}");
        }

        try
        {
            if (Libc.Fsync(fd) != 0)
            {
                throw new IOException($"fsync {directory}: {Describe(Libc.LastErrno)}");
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    private static string Describe(int errno) => $"{Errno.Text(errno)} ({Errno.Name(errno)})";
}
