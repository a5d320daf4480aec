using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

/// <summary>Linux errno values this library reasons about, and their symbolic names for messages.</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ERANGE = 34;
    public const int ENOTSUP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ENOBUFS = 105;
    public const int EHOSTUNREACH = 113;
    public const int EOPNOTSUPP = 95;
    public const int EMSGSIZE = 90;
    public const int EPROTONOSUPPORT = 93;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;
    public const int ENAMETOOLONG = 36;
    public const int EBADMSG = 74;
    public const int EOVERFLOW = 75;
    public const int ENOTSOCK = 88;
    public const int EDESTADDRREQ = 89;
    public const int EPROTOTYPE = 91;
    public const int ENOPROTOOPT = 92;
    public const int ETIMEDOUT = 110;

    /// <summary>Symbolic name such as <c>ENETUNREACH</c>; <c>errno 123</c> for values not in the table.</summary>
    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EIO => "EIO",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        ENOTDIR => "ENOTDIR",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        ERANGE => "ERANGE",
        EOPNOTSUPP => "EOPNOTSUPP",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        EADDRINUSE => "EADDRINUSE",
        EADDRNOTAVAIL => "EADDRNOTAVAIL",
        ENETDOWN => "ENETDOWN",
        ENETUNREACH => "ENETUNREACH",
        ENOBUFS => "ENOBUFS",
        EHOSTUNREACH => "EHOSTUNREACH",
        EMSGSIZE => "EMSGSIZE",
        EPROTONOSUPPORT => "EPROTONOSUPPORT",
        ENOTEMPTY => "ENOTEMPTY",
        ELOOP => "ELOOP",
        ENAMETOOLONG => "ENAMETOOLONG",
        EBADMSG => "EBADMSG",
        EOVERFLOW => "EOVERFLOW",
        ENOTSOCK => "ENOTSOCK",
        EDESTADDRREQ => "EDESTADDRREQ",
        EPROTOTYPE => "EPROTOTYPE",
        ENOPROTOOPT => "ENOPROTOOPT",
        ETIMEDOUT => "ETIMEDOUT",
        _ => $"errno {errno}",
    };

    /// <summary>The C library's text for an errno (strerror).</summary>
    public static string Text(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
