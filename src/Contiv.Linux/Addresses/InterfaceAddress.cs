using System.Net;
using System.Net.Sockets;

namespace Contiv.Linux;

/// <summary>An IP address assigned to an interface (one RTM_NEWADDR message).</summary>
/// <param name="InterfaceIndex">Index of the interface holding the address.</param>
/// <param name="Address">The address (host part included, e.g. 10.1.1.7).</param>
/// <param name="PrefixLength">Prefix length (e.g. 32 for a pod's /32).</param>
/// <param name="Scope">Address scope.</param>
public sealed record InterfaceAddress(int InterfaceIndex, IPAddress Address, int PrefixLength, NetworkScope Scope)
{
    /// <summary>Address family (InterNetwork or InterNetworkV6).</summary>
    public AddressFamily Family => Address.AddressFamily;

    /// <summary>The label (IPv4 only, e.g. <c>eth0:1</c>), or null.</summary>
    public string? Label { get; init; }

    /// <summary>IFA_F_* flags (e.g. 0x40 tentative, 0x80 permanent).</summary>
    public uint Flags { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength} scope {Scope} dev #{InterfaceIndex}";
}

/// <summary>Scope of an address or route (RT_SCOPE_*).</summary>
public enum NetworkScope : byte
{
    /// <summary>Global (RT_SCOPE_UNIVERSE).</summary>
    Global = 0,

    /// <summary>Site.</summary>
    Site = 200,

    /// <summary>Link: directly attached, no gateway.</summary>
    Link = 253,

    /// <summary>Host: this machine only (local addresses).</summary>
    Host = 254,

    /// <summary>Nowhere: matches any scope when deleting.</summary>
    Nowhere = 255,
}
