using Contiv.Linux.Interop;

namespace Contiv.Linux;

/// <summary>
/// A kernel networking operation failed: a netlink request (link, address, route, neighbour) or a
/// system call this library makes on its way (namespace mount, <c>setns</c>, TAP ioctl, sysctl).
/// The message names the operation, the object, the namespace and the kernel's answer, for example
/// <c>route add 10.1.2.0/24 via 192.168.30.2 in netns pod-x: Network is unreachable (ENETUNREACH)</c>.
/// Use <see cref="IsAlreadyExists"/> and <see cref="IsNotFound"/> to make callers idempotent.
/// </summary>
public sealed class NetlinkException : IOException
{
    /// <summary>Creates an exception for a failed operation.</summary>
    /// <param name="operation">What was attempted, e.g. <c>route add</c>.</param>
    /// <param name="target">The object it was attempted on, e.g. <c>10.1.2.0/24 via 192.168.30.2</c>.</param>
    /// <param name="namespaceName">Display name of the network namespace, or null for the caller's own.</param>
    /// <param name="errno">The positive errno value the kernel returned.</param>
    /// <param name="kernelMessage">Extended-ack text from the kernel, when it sent one.</param>
    public NetlinkException(string operation, string target, string? namespaceName, int errno, string? kernelMessage = null)
        : base(Format(operation, target, namespaceName, errno, kernelMessage))
    {
        Operation = operation;
        Target = target;
        NamespaceName = namespaceName;
        Errno = errno;
        KernelMessage = kernelMessage;
        HResult = errno;
    }

    /// <summary>What was attempted, e.g. <c>route add</c>, <c>link set up</c>, <c>netns add</c>.</summary>
    public string Operation { get; }

    /// <summary>The object the operation was attempted on (a route, an address, a link name …).</summary>
    public string Target { get; }

    /// <summary>Display name (or path) of the namespace the operation ran in; null for the caller's own.</summary>
    public string? NamespaceName { get; }

    /// <summary>The positive errno value (e.g. 101 for ENETUNREACH).</summary>
    public int Errno { get; }

    /// <summary>Symbolic errno name such as <c>EEXIST</c>.</summary>
    public string ErrnoName => Interop.Errno.Name(Errno);

    /// <summary>The kernel's extended-ack message (e.g. <c>Nexthop has invalid gateway</c>) when it sent one.</summary>
    public string? KernelMessage { get; }

    /// <summary>True when the object already exists (EEXIST): an "add" that can be treated as done.</summary>
    public bool IsAlreadyExists => Errno == Interop.Errno.EEXIST;

    /// <summary>
    /// True when the object does not exist: ENOENT, ESRCH (missing route), ENODEV (missing link), or
    /// EADDRNOTAVAIL on an address delete (missing address). A "delete" failing this way can be
    /// treated as done.
    /// </summary>
    public bool IsNotFound => Errno is Interop.Errno.ENOENT or Interop.Errno.ESRCH or Interop.Errno.ENODEV
        || (Errno == Interop.Errno.EADDRNOTAVAIL && Operation.StartsWith("address", StringComparison.Ordinal));

    private static string Format(string operation, string target, string? ns, int errno, string? kernelMessage)
    {
        var where = ns is null ? string.Empty : $" in netns {ns}";
        var extra = string.IsNullOrEmpty(kernelMessage) ? string.Empty : $" [kernel: {kernelMessage}]";
        return $"{operation} {target}{where}: {Interop.Errno.Text(errno)} ({Interop.Errno.Name(errno)}){extra}";
    }
}
