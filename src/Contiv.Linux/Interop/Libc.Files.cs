using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

/// <summary>libc entry points for durable files (fsync of a file or a directory).</summary>
internal static partial class Libc
{
    public const int O_DIRECTORY = 0x10000;

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);
}
