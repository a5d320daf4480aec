using System.Globalization;

namespace Contiv.Agent.Dataplane;

/// <summary>Scheduler keys of data plane items.</summary>
internal static class VppKeys
{
    /// <summary>Prefix of interfaces.</summary>
    public const string InterfacePrefix = "vpp/interface/";

    /// <summary>Prefix of VRF tables.</summary>
    public const string VrfPrefix = "vpp/vrf-table/";

    /// <summary>Prefix of routes.</summary>
    public const string RoutePrefix = "vpp/route/";

    /// <summary>Prefix of ARP entries.</summary>
    public const string ArpPrefix = "vpp/arp/";

    /// <summary>Prefix of bridge domains.</summary>
    public const string BridgeDomainPrefix = "vpp/bd/";

    /// <summary>Prefix of L2 FIB entries.</summary>
    public const string L2FibPrefix = "vpp/l2fib/";

    /// <summary>Key of an interface.</summary>
    public static string Interface(string name) => InterfacePrefix + name;

    /// <summary>Key of a VRF table.</summary>
    public static string Vrf(uint id) => VrfPrefix + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Key of a route: VRF, destination, next hop and outgoing interface identify it.</summary>
    public static string Route(uint vrf, string dst, string nextHop, string outInterface)
        => string.Create(CultureInfo.InvariantCulture, $"{RoutePrefix}vrf/{vrf}/dst/{dst}/gw/{(nextHop.Length == 0 ? "-" : nextHop)}/if/{(outInterface.Length == 0 ? "-" : outInterface)}");

    /// <summary>Key of a route message.</summary>
    public static string Route(Contiv.Model.Vpp.Route r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Route(r.VrfId, r.DstNetwork, r.NextHopAddr, r.OutInterface);
    }

    /// <summary>Key of an ARP entry.</summary>
    public static string Arp(string iface, string ip) => $"{ArpPrefix}{iface}/{ip}";

    /// <summary>Key of a bridge domain.</summary>
    public static string BridgeDomain(string name) => BridgeDomainPrefix + name;

    /// <summary>Key of an L2 FIB entry.</summary>
    public static string L2Fib(string bdName, string mac) => $"{L2FibPrefix}{bdName}/{mac}";
}
