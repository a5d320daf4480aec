using Contiv.Linux;
using Contiv.Model.Stn;

namespace Contiv.Agent.Stn;

/// <summary>An IPv4 route the host had through the stolen NIC.</summary>
/// <param name="Destination">Destination network (0.0.0.0/0 for the default route).</param>
/// <param name="Gateway">Next hop; null for an on-link (connected) route.</param>
internal sealed record StolenRoute(Ip4Prefix Destination, Ip4? Gateway);

/// <summary>
/// What contiv-stn remembers of the NIC it took from the host (SPEC §1.8 StolenInterfaceInfo), reduced to what
/// the agent builds from: the link's name, its IPv4 addresses (the first is the node IP) and its IPv4 routes.
/// IPv6 addresses and routes are left out: this data plane is IPv4 only (docs/stn.md).
/// </summary>
internal sealed record StolenInterface(string Name, IReadOnlyList<Ip4Prefix> Addresses, IReadOnlyList<StolenRoute> Routes)
{
    /// <summary>The node IP: the first IPv4 address with its prefix (host bits kept).</summary>
    public Ip4Prefix NodeIp => Addresses[0];

    /// <summary>The host's default gateway, if it had a default route through the NIC.</summary>
    public Ip4? DefaultGateway
    {
        get
        {
            foreach (var r in Routes)
            {
                if (r.Destination.Length == 0 && r.Gateway is { } gw)
                {
                    return gw;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The next hop the host uses for what it reaches through the data plane (pod subnet, services): the default
    /// gateway, else a made-up one in the node subnet (SPEC §1.6.2: its first host, or the last but one when
    /// that is the node IP). Proxy ARP on tap-vpp2 answers for either, so only the data plane's routes decide.
    /// </summary>
    public Ip4 HostGateway
    {
        get
        {
            if (DefaultGateway is { } gw)
            {
                return gw;
            }

            var subnet = NodeIp;
            var first = subnet.Network.Add(1);
            return first == subnet.Address ? subnet.Broadcast.Add(-1) : first;
        }
    }

    /// <summary>
    /// Reads contiv-stn's reply for <paramref name="name"/>: addresses "ip/len" and routes (destination "" or
    /// "0.0.0.0/0" = default, next hop "" = on-link). IPv6 entries are skipped; no IPv4 address is an error.
    /// </summary>
    public static StolenInterface FromReply(string name, STNReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var addresses = new List<Ip4Prefix>();
        foreach (var a in reply.IpAddresses)
        {
            if (!a.Contains(':', StringComparison.Ordinal))
            {
                addresses.Add(Ip4Prefix.ParseAddress(a));
            }
        }

        if (addresses.Count == 0)
        {
            throw new FormatException($"STN: stolen interface '{name}' had no IPv4 address (addresses: [{string.Join(", ", reply.IpAddresses)}])");
        }

        var routes = new List<StolenRoute>();
        foreach (var r in reply.Routes)
        {
            if (r.DestinationSubnet.Contains(':', StringComparison.Ordinal) || r.NextHopIp.Contains(':', StringComparison.Ordinal))
            {
                continue;
            }

            var dst = r.DestinationSubnet.Length == 0 ? new Ip4Prefix(new Ip4(0), 0) : Ip4Prefix.Parse(r.DestinationSubnet, $"STN route destination of '{name}'");
            Ip4? gw = r.NextHopIp.Length == 0 || r.NextHopIp == "0.0.0.0" ? null : Ip4.Parse(r.NextHopIp, $"STN route next hop of '{name}'");
            routes.Add(new StolenRoute(dst, gw));
        }

        return new StolenInterface(name, addresses, routes);
    }
}
