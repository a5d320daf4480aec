using System.Globalization;
using System.Net;
using Contiv.Linux;
using Route = Contiv.Linux.Route;

namespace Contiv.Stn.State;

/// <summary>
/// What a NIC looked like before contiv-stn took it: enough to give it back exactly (SPEC §1.8).
/// Persisted as JSON in the state file, so every field is a plain value.
/// </summary>
internal sealed record StolenInterface
{
    /// <summary>Linux name of the link.</summary>
    public required string Name { get; init; }

    /// <summary>Kernel driver before the steal (<c>ethtool -i</c>), empty when unknown.</summary>
    public string KernelDriver { get; init; } = string.Empty;

    /// <summary>PCI address of the device, empty for a link that has none (veth, virtual NICs).</summary>
    public string PciAddress { get; init; } = string.Empty;

    /// <summary>Addresses of every family, in the order the kernel listed them.</summary>
    public IReadOnlyList<SavedAddress> Addresses { get; init; } = [];

    /// <summary>Routes of the main table out of this link (every family).</summary>
    public IReadOnlyList<SavedRoute> Routes { get; init; } = [];

    /// <summary>The NIC gets its addresses by DHCP: they are not re-added on revert.</summary>
    public bool DhcpEnabled { get; init; }
}

/// <summary>One interface address.</summary>
/// <param name="Address">The address with its host part.</param>
/// <param name="PrefixLength">Prefix length.</param>
/// <param name="Scope">Address scope (global, link …).</param>
internal sealed record SavedAddress(string Address, int PrefixLength, NetworkScope Scope)
{
    /// <summary>Parsed <see cref="Address"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IPAddress Ip => IPAddress.Parse(Address);

    /// <summary><c>ip/len</c>, the form of <c>STNReply.ip_addresses</c>.</summary>
    public override string ToString() => Address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>IPv6: the address was added without duplicate address detection (IFA_F_NODAD), and is re-added so.</summary>
    public bool NoDad { get; init; }

    /// <summary>Saves a dumped address.</summary>
    public static SavedAddress From(InterfaceAddress a) => new(a.Address.ToString(), a.PrefixLength, a.Scope) { NoDad = (a.Flags & IfaFlagNoDad) != 0 };

    private const uint IfaFlagNoDad = 0x02;
}

/// <summary>One route, without its interface index (the index can change when the device is re-bound).</summary>
/// <param name="Destination">CIDR; <c>0.0.0.0/0</c> or <c>::/0</c> for a default route.</param>
/// <param name="Gateway">Next hop, or null for an on-link route.</param>
internal sealed record SavedRoute(string Destination, string? Gateway)
{
    /// <summary>Route scope as dumped.</summary>
    public NetworkScope Scope { get; init; }

    /// <summary>Metric, or null.</summary>
    public int? Metric { get; init; }

    /// <summary>Origin (RTPROT_*): kernel routes come back by themselves once the address is back.</summary>
    public byte Protocol { get; init; }

    /// <summary>Preferred source, or null.</summary>
    public string? PreferredSource { get; init; }

    /// <summary>Route type (unicast, blackhole …).</summary>
    public RouteType Type { get; init; } = RouteType.Unicast;

    /// <summary>Routing table.</summary>
    public int Table { get; init; } = RouteTables.Main;

    /// <summary>Saves a dumped route.</summary>
    public static SavedRoute From(Route r) => new(r.Destination.ToString(), r.Gateway?.ToString())
    {
        Scope = r.Scope ?? NetworkScope.Global,
        Metric = r.Metric,
        Protocol = r.Protocol,
        PreferredSource = r.PreferredSource?.ToString(),
        Type = r.Type,
        Table = r.Table,
    };

    /// <summary>The route out of link <paramref name="interfaceIndex"/>, as netlink takes it.</summary>
    public Route ToRoute(int interfaceIndex) => new()
    {
        Destination = IPNetwork.Parse(Destination),
        Gateway = Gateway is null ? null : IPAddress.Parse(Gateway),
        OutputInterface = interfaceIndex,
        Scope = Scope,
        Metric = Metric,
        Protocol = Protocol,
        PreferredSource = PreferredSource is null ? null : IPAddress.Parse(PreferredSource),
        Type = Type,
        Table = Table,
    };

    /// <summary>True when <paramref name="r"/> (a dumped route) is this route.</summary>
    public bool Matches(Route r) =>
        r.Destination.ToString() == Destination
        && (r.Gateway?.ToString() ?? null) == Gateway
        && r.Table == Table
        && r.Metric == Metric;
}
