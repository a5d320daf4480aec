using System.Runtime.InteropServices;

namespace Contiv.Vpp.Native;

/// <summary>The few libc calls the data plane's I/O edges need (epoll, eventfd, read/write, sockets, mmap).</summary>
internal static unsafe partial class Libc
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int ENOBUFS = 105;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public const int MAP_LOCKED = 0x2000;

    public const int O_NONBLOCK = 0x800;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_PACKET = 263;
    public const int SOL_SOCKET = 1;
    public const int SO_RCVBUF = 8;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_SNDBUFFORCE = 32;
    public const int MSG_DONTWAIT = 0x40;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Len;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint writev(int fd, IoVec* iov, int iovcnt);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, void* addr, int addrlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int optname, void* optval, int optlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int optname, void* optval, int* optlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, void* buf, nuint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint sendmsg(int fd, void* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);

    [LibraryImport("libc")]
    public static partial int getpid();

    /// <summary>errno of the last failed call on this thread.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Human-readable text of an errno value.</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Throws an <see cref="IOException"/> naming what failed and errno's text.</summary>
    public static IOException Error(string what)
    {
        var e = Errno;
        return new IOException($"{what}: {ErrorText(e)} (errno {e})");
    }
}
