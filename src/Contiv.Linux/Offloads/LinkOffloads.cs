using System.Text;
using Contiv.Linux.Interop;

namespace Contiv.Linux;

/// <summary>Offload features that can be switched per link (the ethtool <c>-K</c> basics).</summary>
public enum LinkOffload
{
    /// <summary>Receive checksum offload (<c>rx</c>).</summary>
    RxChecksum,

    /// <summary>Transmit checksum offload (<c>tx</c>); AF_PACKET readers of a veth want it off.</summary>
    TxChecksum,

    /// <summary>Scatter-gather (<c>sg</c>).</summary>
    ScatterGather,

    /// <summary>TCP segmentation offload (<c>tso</c>).</summary>
    Tso,

    /// <summary>Generic segmentation offload (<c>gso</c>).</summary>
    Gso,

    /// <summary>Generic receive offload (<c>gro</c>).</summary>
    Gro,
}

/// <summary>
/// Reads and switches link offloads with the SIOCETHTOOL ioctl (legacy ethtool_value commands) on
/// a socket created inside the link's namespace.
/// </summary>
public static unsafe class LinkOffloads
{
    private const nuint SIOCETHTOOL = 0x8946;

    /// <summary>True when <paramref name="offload"/> is enabled on <paramref name="linkName"/> in <paramref name="ns"/> (null: the calling thread's namespace).</summary>
    public static bool Get(NetworkNamespace? ns, string linkName, LinkOffload offload)
    {
        var (get, _) = Commands(offload);
        uint Run() => Ethtool(linkName, get, 0, "offload get " + Name(offload), ns?.DisplayName);
        return (ns is null ? Run() : ns.Run(Run)) != 0;
    }

    /// <summary>Enables or disables <paramref name="offload"/> on <paramref name="linkName"/> in <paramref name="ns"/> (null: the calling thread's namespace).</summary>
    public static void Set(NetworkNamespace? ns, string linkName, LinkOffload offload, bool enabled)
    {
        var (_, set) = Commands(offload);
        uint Run() => Ethtool(linkName, set, enabled ? 1u : 0u, $"offload set {Name(offload)} {(enabled ? "on" : "off")}", ns?.DisplayName);
        _ = ns is null ? Run() : ns.Run(Run);
    }

    private static uint Ethtool(string linkName, uint command, uint data, string operation, string? ns)
    {
        ArgumentException.ThrowIfNullOrEmpty(linkName);
        if (linkName.Length > 15)
        {
            throw new ArgumentException($"invalid link name '{linkName}' (at most 15 characters)", nameof(linkName));
        }

        var fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NetlinkException(operation, linkName, ns, Libc.LastErrno);
        }

        try
        {
            // struct ethtool_value { u32 cmd; u32 data; }, pointed to by ifreq.ifr_data (offset 16).
            var value = stackalloc uint[2];
            value[0] = command;
            value[1] = data;
            var ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            Encoding.ASCII.GetBytes(linkName, new Span<byte>(ifr, 15));
            *(uint**)(ifr + 16) = value;
            return Libc.Ioctl(fd, SIOCETHTOOL, ifr) == 0
                ? value[1]
                : throw new NetlinkException(operation, linkName, ns, Libc.LastErrno);
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    private static (uint Get, uint Set) Commands(LinkOffload offload) => offload switch
    {
        LinkOffload.RxChecksum => (0x14, 0x15),
        LinkOffload.TxChecksum => (0x16, 0x17),
        LinkOffload.ScatterGather => (0x18, 0x19),
        LinkOffload.Tso => (0x1e, 0x1f),
        LinkOffload.Gso => (0x23, 0x24),
        LinkOffload.Gro => (0x2b, 0x2c),
        _ => throw new ArgumentOutOfRangeException(nameof(offload), offload, "unknown offload"),
    };

    private static string Name(LinkOffload offload) => offload switch
    {
        LinkOffload.RxChecksum => "rx",
        LinkOffload.TxChecksum => "tx",
        LinkOffload.ScatterGather => "sg",
        LinkOffload.Tso => "tso",
        LinkOffload.Gso => "gso",
        _ => "gro",
    };
}
