using System.Text;
using Contiv.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Contiv.Linux;

/// <summary>
/// A TAP (or TUN) device opened through <c>/dev/net/tun</c>. This object owns the queue file
/// descriptors; the netdev lives as long as they are open (it is not persistent), wherever it has
/// been moved: after <see cref="RtNetlink.MoveLink"/> into a pod's namespace the descriptors keep
/// reading and writing its frames. Reads return one frame per call (prefixed with a virtio-net
/// header when <see cref="TapOptions.VnetHeader"/> is set); writes take one frame per call.
/// <para>The data plane does its own I/O on <see cref="Fd"/>; <see cref="Read"/>/<see cref="Write"/> are simple helpers.</para>
/// </summary>
public sealed unsafe class TapDevice : IDisposable
{
    private const nuint TUNSETIFF = 0x400454ca;
    private const nuint TUNSETOFFLOAD = 0x400454d0;
    private const nuint TUNSETVNETHDRSZ = 0x400454d8;
    private const nuint TUNGETFEATURES = 0x800454cf;
    private const short IFF_TUN = 0x0001;
    private const short IFF_TAP = 0x0002;
    private const short IFF_MULTI_QUEUE = 0x0100;
    private const short IFF_NAPI = 0x0010;
    private const short IFF_NO_PI = 0x1000;
    private const short IFF_VNET_HDR = 0x4000;
    private const ushort IFF_TUN_EXCL = 0x8000;
    private const int IfReqSize = 40;

    private readonly SafeFileHandle[] _queues;

    private TapDevice(string name, int index, SafeFileHandle[] queues, string? ns, TapOptions options)
    {
        Name = name;
        InterfaceIndex = index;
        _queues = queues;
        NamespaceName = ns;
        Options = options;
    }

    /// <summary>The interface name the kernel assigned (the name at creation; a later rename is not tracked).</summary>
    public string Name { get; }

    /// <summary>Interface index in the namespace the device was created in.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Display name of the namespace the device was created in (null: the caller's own).</summary>
    public string? NamespaceName { get; }

    /// <summary>The options it was opened with.</summary>
    public TapOptions Options { get; }

    /// <summary>Descriptor of queue 0.</summary>
    public SafeFileHandle Handle => _queues[0];

    /// <summary>Raw descriptor number of queue 0 (valid until disposed).</summary>
    public int Fd => (int)_queues[0].DangerousGetHandle();

    /// <summary>One descriptor per queue (one entry unless opened multi-queue).</summary>
    public IReadOnlyList<SafeFileHandle> QueueHandles => _queues;

    /// <summary>
    /// Creates the device inside <paramref name="ns"/> (or the calling thread's namespace when null):
    /// <c>/dev/net/tun</c> is opened on a thread inside that namespace, because the netdev is created
    /// in the namespace of the opener.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused (e.g. EBUSY: name taken by another device type; EINVAL: bad flags).</exception>
    public static TapDevice Open(TapOptions options, NetworkNamespace? ns = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Queues);
        if (options.Name is { Length: > 15 or 0 })
        {
            throw new ArgumentException($"invalid TAP name '{options.Name}' (1 to 15 characters)", nameof(options));
        }

        if (options.Offloads != TunOffloads.None && !options.VnetHeader)
        {
            throw new ArgumentException($"offloads {options.Offloads} need VnetHeader = true", nameof(options));
        }

        return ns is null ? OpenHere(options, null) : ns.Run(() => OpenHere(options, ns.DisplayName));
    }

    /// <summary>Enables offloads (TUNSETOFFLOAD) on the device.</summary>
    public void SetOffload(TunOffloads offloads)
    {
        if (Libc.Ioctl(Fd, TUNSETOFFLOAD, (nint)(uint)offloads) != 0)
        {
            throw new NetlinkException("tap set offload " + offloads, Name, NamespaceName, Libc.LastErrno);
        }
    }

    /// <summary>Sets the virtio-net header size (TUNSETVNETHDRSZ) on every queue.</summary>
    public void SetVnetHeaderSize(int size)
    {
        foreach (var q in _queues)
        {
            SetVnetHeaderSize((int)q.DangerousGetHandle(), size, Name, NamespaceName);
        }
    }

    /// <summary>Reads one frame from queue 0 into <paramref name="buffer"/>; returns its length (-1 when non-blocking and none is queued).</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.Read(Fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Libc.LastErrno;
                if (errno == Errno.EAGAIN)
                {
                    return -1;
                }

                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException("tap read", Name, NamespaceName, errno);
                }
            }
        }
    }

    /// <summary>Writes one frame to queue 0 (the kernel receives it on the interface).</summary>
    public void Write(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            while (true)
            {
                var n = Libc.Write(Fd, p, (nuint)frame.Length);
                if (n >= 0)
                {
                    return;
                }

                var errno = Libc.LastErrno;
                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException("tap write", Name, NamespaceName, errno);
                }
            }
        }
    }

    /// <summary>Closes every queue; the netdev disappears (from whatever namespace it is in).</summary>
    public void Dispose()
    {
        foreach (var q in _queues)
        {
            q.Dispose();
        }
    }

    /// <summary>Features the tun driver supports (TUNGETFEATURES: IFF_* bits).</summary>
    public static int GetDriverFeatures()
    {
        var fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NetlinkException("tap open", "/dev/net/tun", null, Libc.LastErrno);
        }

        try
        {
            var features = 0;
            return Libc.Ioctl(fd, TUNGETFEATURES, &features) == 0
                ? features
                : throw new NetlinkException("tap get features", "/dev/net/tun", null, Libc.LastErrno);
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    private static TapDevice OpenHere(TapOptions options, string? ns)
    {
        var flags = (short)((options.Tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI);
        if (options.VnetHeader)
        {
            flags |= IFF_VNET_HDR;
        }

        if (options.Queues > 1)
        {
            flags |= IFF_MULTI_QUEUE;
        }

        if (options.Napi)
        {
            flags |= IFF_NAPI;
        }

        // Only the first queue creates; later ones attach to it by name.
        var first = options.Exclusive ? unchecked((short)((ushort)flags | IFF_TUN_EXCL)) : flags;

        var label = options.Name ?? (options.Tun ? "tun%d" : "tap%d");
        var queues = new SafeFileHandle[options.Queues];
        var name = options.Name;
        var ifr = stackalloc byte[IfReqSize];
        try
        {
            for (var i = 0; i < queues.Length; i++)
            {
                var fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC | (options.NonBlocking ? Libc.O_NONBLOCK : 0), 0);
                if (fd < 0)
                {
                    throw new NetlinkException("tap open", "/dev/net/tun", ns, Libc.LastErrno);
                }

                queues[i] = new SafeFileHandle(fd, ownsHandle: true);

                // struct ifreq: char ifr_name[16]; then the union, of which we use short ifr_flags.
                new Span<byte>(ifr, IfReqSize).Clear();
                if (name is not null)
                {
                    Encoding.ASCII.GetBytes(name, new Span<byte>(ifr, 15));
                }

                *(short*)(ifr + 16) = i == 0 ? first : flags;
                if (Libc.Ioctl(fd, TUNSETIFF, ifr) != 0)
                {
                    throw new NetlinkException("tap create", label, ns, Libc.LastErrno);
                }

                // Later queues attach to the same device by the name the kernel chose.
                name = new string((sbyte*)ifr, 0, new ReadOnlySpan<byte>(ifr, 16).IndexOf((byte)0) is var n and >= 0 ? n : 16, Encoding.ASCII);
                if (options.VnetHeaderSize is int size)
                {
                    SetVnetHeaderSize(fd, size, name, ns);
                }
            }

            if (options.Offloads != TunOffloads.None && Libc.Ioctl((int)queues[0].DangerousGetHandle(), TUNSETOFFLOAD, (nint)(uint)options.Offloads) != 0)
            {
                throw new NetlinkException("tap set offload " + options.Offloads, name!, ns, Libc.LastErrno);
            }

            var index = (int)Libc.IfNameToIndex(name!);
            if (index == 0)
            {
                throw new NetlinkException("tap get index", name!, ns, Libc.LastErrno);
            }

            return new TapDevice(name!, index, queues, ns, options);
        }
        catch
        {
            foreach (var q in queues)
            {
                q?.Dispose();
            }

            throw;
        }
    }

    private static void SetVnetHeaderSize(int fd, int size, string name, string? ns)
    {
        if (Libc.Ioctl(fd, TUNSETVNETHDRSZ, &size) != 0)
        {
            throw new NetlinkException("tap set vnet header size " + size, name, ns, Libc.LastErrno);
        }
    }
}
