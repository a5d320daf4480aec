using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

/// <summary>libc entry points for files: durable writes (fsync of a file or a directory) and group ownership.</summary>
internal static partial class Libc
{
    public const int O_DIRECTORY = 0x10000;

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    /// <summary>chown(2); -1 (as uint) leaves the owner or group unchanged.</summary>
    [LibraryImport(Lib, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, uint owner, uint group);
}
