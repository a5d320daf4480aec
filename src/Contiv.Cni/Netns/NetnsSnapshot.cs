using System.Net;

namespace Contiv.Cni.Netns;

/// <summary>A link as rtnetlink reports it inside a network namespace.</summary>
/// <param name="Index">Interface index.</param>
/// <param name="Name">Interface name.</param>
/// <param name="Mac">Lower-case colon-separated hardware address, or null.</param>
/// <param name="Mtu">MTU in bytes.</param>
/// <param name="IsUp">IFF_UP is set.</param>
public sealed record NetnsLink(int Index, string Name, string? Mac, int Mtu, bool IsUp);

/// <summary>An address on a link.</summary>
/// <param name="LinkIndex">Index of the link holding the address.</param>
/// <param name="Address">The address.</param>
/// <param name="PrefixLength">Its prefix length.</param>
public sealed record NetnsAddress(int LinkIndex, IPAddress Address, int PrefixLength);

/// <summary>A unicast route of a routing table.</summary>
/// <param name="Destination">Destination prefix (0.0.0.0/0 or ::/0 for default routes).</param>
/// <param name="Gateway">Next hop, or null for on-link routes.</param>
/// <param name="OutputLinkIndex">Output interface index, or 0.</param>
/// <param name="Table">Routing table (254 = main).</param>
public sealed record NetnsRoute(IPNetwork Destination, IPAddress? Gateway, int OutputLinkIndex, int Table);

/// <summary>Links, addresses and routes of one network namespace at one moment.</summary>
public sealed class NetnsSnapshot
{
    /// <summary>All links.</summary>
    public List<NetnsLink> Links { get; } = [];

    /// <summary>All addresses (IPv4 and IPv6).</summary>
    public List<NetnsAddress> Addresses { get; } = [];

    /// <summary>Unicast routes of every table.</summary>
    public List<NetnsRoute> Routes { get; } = [];
}
