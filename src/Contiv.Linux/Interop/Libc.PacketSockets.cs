using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

// AF_PACKET sockets (the data plane's host-interface devices) and an errno-to-IOException helper for
// callers that do not speak netlink.
internal static unsafe partial class Libc
{
    public const int AF_PACKET = 17;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOL_PACKET = 263;
    public const int SO_SNDBUFFORCE = 32;

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* len);

    /// <summary>An <see cref="IOException"/> naming what failed with the last errno's name and text.</summary>
    public static IOException IoError(string what)
    {
        var e = LastErrno;
        return new IOException($"{what}: {Errno.Text(e)} (errno {e})");
    }
}
