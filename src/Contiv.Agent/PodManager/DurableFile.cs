using System.Runtime.InteropServices;

namespace Contiv.Agent.PodManager;

/// <summary>
/// Crash-safe replacement of a small state file: the new content goes to a temporary file that is fsynced, renamed
/// over the old one, and the directory fsynced, so after a power loss or kill the file is either the old or the new
/// version, never empty or half written.
/// </summary>
internal static partial class DurableFile
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> durably (temp file, fsync, rename, fsync directory).</summary>
    public static void WriteAllText(string path, string content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new StreamWriter(f))
        {
            w.Write(content);
            w.Flush();
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
        SyncDirectory(dir);
    }

    /// <summary>Fsyncs a directory so a rename inside it survives a crash; errors are ignored (best effort on odd file systems).</summary>
    public static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = open(dir, ORdOnly | ODirectory);
        if (fd < 0)
        {
            return;
        }

        _ = fsync(fd);
        _ = close(fd);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
