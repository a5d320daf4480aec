using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Contiv.Cni.Protocol;

namespace Contiv.Cni.Netns;

/// <summary>
/// Reads links, addresses and routes of a network namespace over rtnetlink. The netlink socket is
/// opened on a dedicated OS thread that enters the namespace and leaves it again right away; a
/// socket stays bound to the namespace it was created in, so the dump itself runs on the caller's
/// thread. No reflection, no shelling out: AOT-safe.
/// </summary>
public static partial class NetnsInspector
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;
    private const int OReadOnly = 0;
    private const int OCloexec = 0x80000;
    private const int CloneNewNet = 0x40000000;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;

    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort RtmNewLink = 16;
    private const ushort RtmGetLink = 18;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmGetAddr = 22;
    private const ushort RtmNewRoute = 24;
    private const ushort RtmGetRoute = 26;
    private const ushort NlmFRequest = 1;
    private const ushort NlmFDump = 0x300;
    private const int IffUp = 1;

    /// <summary>Takes a snapshot of the namespace at <paramref name="netnsPath"/>.</summary>
    /// <exception cref="CniException">Code 105 when the namespace cannot be entered or read.</exception>
    public static NetnsSnapshot Inspect(string netnsPath)
    {
        var fd = OpenNetlinkIn(netnsPath);
        try
        {
            SetReceiveTimeout(fd, seconds: 5);
            var snapshot = new NetnsSnapshot();
            Dump(fd, RtmGetLink, payloadLength: 16, 1, msg => ParseLink(msg, snapshot));
            Dump(fd, RtmGetAddr, payloadLength: 8, 2, msg => ParseAddress(msg, snapshot));
            Dump(fd, RtmGetRoute, payloadLength: 12, 3, msg => ParseRoute(msg, snapshot));
            return snapshot;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static int OpenNetlinkIn(string netnsPath)
    {
        var fd = -1;
        string? error = null;
        var thread = new Thread(() =>
        {
            var origin = Open("/proc/thread-self/ns/net", OReadOnly | OCloexec);
            var target = Open(netnsPath, OReadOnly | OCloexec);
            try
            {
                if (origin < 0 || target < 0)
                {
                    error = $"cannot open {(origin < 0 ? "/proc/thread-self/ns/net" : netnsPath)}: {Errno()}";
                    return;
                }

                if (SetNs(target, CloneNewNet) != 0)
                {
                    error = $"cannot enter network namespace {netnsPath}: {Errno()}";
                    return;
                }

                fd = Socket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
                if (fd < 0)
                {
                    error = $"cannot open a netlink socket in {netnsPath}: {Errno()}";
                }

                if (SetNs(origin, CloneNewNet) != 0)
                {
                    // This thread is dedicated and ends right here, so staying inside is harmless.
                    Console.Error.WriteLine($"contiv-cni: cannot return from network namespace {netnsPath}: {Errno()}");
                }
            }
            finally
            {
                if (origin >= 0)
                {
                    _ = Close(origin);
                }

                if (target >= 0)
                {
                    _ = Close(target);
                }
            }
        })
        {
            IsBackground = true,
            Name = "netns-enter",
        };
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            if (fd >= 0)
            {
                _ = Close(fd);
            }

            throw new CniException(CniErrorCode.NetnsInspectionFailed, error);
        }

        return fd;
    }

    private static unsafe void SetReceiveTimeout(int fd, int seconds)
    {
        var tv = stackalloc long[2];
        tv[0] = seconds;
        tv[1] = 0;
        _ = SetSockOpt(fd, SolSocket, SoRcvTimeo, tv, 16);
    }

    private static unsafe void Dump(int fd, ushort type, int payloadLength, uint seq, Action<ReadOnlySpan<byte>> onMessage)
    {
        // nlmsghdr (16 bytes) + zeroed family header: family 0 = all address families.
        var request = new byte[16 + payloadLength];
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), seq);
        fixed (byte* p = request)
        {
            if (Send(fd, p, request.Length, 0) != request.Length)
            {
                throw new CniException(CniErrorCode.NetnsInspectionFailed, $"netlink dump request {type} failed: {Errno()}");
            }
        }

        var buffer = new byte[64 * 1024];
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = Recv(fd, p, buffer.Length, 0);
            }

            if (n <= 0)
            {
                throw new CniException(CniErrorCode.NetnsInspectionFailed, $"netlink dump {type}: receive failed: {Errno()}");
            }

            var data = buffer.AsSpan(0, (int)n);
            while (data.Length >= 16)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
                var msgType = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
                if (length < 16 || length > data.Length)
                {
                    throw new CniException(CniErrorCode.NetnsInspectionFailed, $"netlink dump {type}: malformed message of length {length}");
                }

                if (msgType == NlmsgDone)
                {
                    return;
                }

                if (msgType == NlmsgError)
                {
                    var errno = -BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
                    if (errno == 0)
                    {
                        return;
                    }

                    throw new CniException(CniErrorCode.NetnsInspectionFailed, $"netlink dump {type} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }

                onMessage(data[16..length]);
                data = data[Math.Min(Align(length), data.Length)..];
            }
        }
    }

    private static void ParseLink(ReadOnlySpan<byte> msg, NetnsSnapshot s)
    {
        if (msg.Length < 16)
        {
            return;
        }

        var index = BinaryPrimitives.ReadInt32LittleEndian(msg[4..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(msg[8..]);
        string name = string.Empty;
        string? mac = null;
        var mtu = 0;
        foreach (var (attr, value) in Attributes(msg[16..]))
        {
            switch (attr)
            {
                case 1 when value.Length > 0: // IFLA_ADDRESS
                    mac = FormatMac(value);
                    break;
                case 3: // IFLA_IFNAME
                    name = Encoding.UTF8.GetString(value).TrimEnd('\0');
                    break;
                case 4 when value.Length >= 4: // IFLA_MTU
                    mtu = BinaryPrimitives.ReadInt32LittleEndian(value);
                    break;
            }
        }

        s.Links.Add(new NetnsLink(index, name, mac, mtu, (flags & IffUp) != 0));
    }

    private static void ParseAddress(ReadOnlySpan<byte> msg, NetnsSnapshot s)
    {
        if (msg.Length < 8)
        {
            return;
        }

        var prefix = msg[1];
        var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(msg[4..]);
        IPAddress? address = null, local = null;
        foreach (var (attr, value) in Attributes(msg[8..]))
        {
            if (attr == 1 && value.Length is 4 or 16)
            {
                address = new IPAddress(value);
            }
            else if (attr == 2 && value.Length is 4 or 16)
            {
                local = new IPAddress(value);
            }
        }

        // IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS otherwise.
        if ((local ?? address) is { } a)
        {
            s.Addresses.Add(new NetnsAddress(index, a, prefix));
        }
    }

    private static void ParseRoute(ReadOnlySpan<byte> msg, NetnsSnapshot s)
    {
        if (msg.Length < 12)
        {
            return;
        }

        var family = msg[0];
        var dstLength = msg[1];
        int table = msg[4];
        var routeType = msg[7];
        if (routeType != 1) // RTN_UNICAST only: local/broadcast/multicast routes are the kernel's own
        {
            return;
        }

        IPAddress? dst = null, gw = null;
        var oif = 0;
        foreach (var (attr, value) in Attributes(msg[12..]))
        {
            switch (attr)
            {
                case 1 when value.Length is 4 or 16: // RTA_DST
                    dst = new IPAddress(value);
                    break;
                case 4 when value.Length >= 4: // RTA_OIF
                    oif = BinaryPrimitives.ReadInt32LittleEndian(value);
                    break;
                case 5 when value.Length is 4 or 16: // RTA_GATEWAY
                    gw = new IPAddress(value);
                    break;
                case 15 when value.Length >= 4: // RTA_TABLE
                    table = BinaryPrimitives.ReadInt32LittleEndian(value);
                    break;
            }
        }

        dst ??= family == 10 ? IPAddress.IPv6Any : IPAddress.Any;
        s.Routes.Add(new NetnsRoute(new IPNetwork(dst, dstLength), gw, oif, table));
    }

    private static List<(ushort Type, byte[] Value)> Attributes(ReadOnlySpan<byte> data)
    {
        var list = new List<(ushort, byte[])>();
        while (data.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(data);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data[2..]) & 0x3fff);
            if (length < 4 || length > data.Length)
            {
                break;
            }

            list.Add((type, data[4..length].ToArray()));
            data = data[Math.Min(Align(length), data.Length)..];
        }

        return list;
    }

    private static string FormatMac(byte[] bytes)
    {
        var hex = Convert.ToHexStringLower(bytes);
        var sb = new StringBuilder(bytes.Length * 3);
        for (var i = 0; i < hex.Length; i += 2)
        {
            if (i > 0)
            {
                sb.Append(':');
            }

            sb.Append(hex, i, 2);
        }

        return sb.ToString();
    }

    private static int Align(int length) => (length + 3) & ~3;

    private static string Errno() => Marshal.GetLastPInvokeErrorMessage();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint Recv(int fd, byte* buffer, nint length, int flags);
}
