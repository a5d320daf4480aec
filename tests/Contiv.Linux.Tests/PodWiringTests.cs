using System.Net;
using System.Net.NetworkInformation;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

/// <summary>
/// SPEC §2.4 pod wiring built by hand with the library: a TAP opened in the vswitch's namespace,
/// moved into the pod's namespace as eth0, MAC, /32 address, link-scope route to the gateway,
/// default route via it and a static ARP entry for the gateway.
/// </summary>
public sealed class PodWiringTests : IDisposable
{
    private static readonly IPAddress PodIp = IPAddress.Parse("10.1.1.7");
    private static readonly IPAddress GatewayIp = IPAddress.Parse("10.1.1.1");
    private static readonly PhysicalAddress PodMac = LinkAddress.Parse("02:fe:a1:b2:c3:d4");
    private static readonly PhysicalAddress VppMac = LinkAddress.Parse("02:fe:5e:4d:3c:2b");

    private const int VnetHeaderSize = 12; // struct virtio_net_hdr_v1 (with num_buffers), as the data plane uses

    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private sealed record Wired(string PodNs, TapDevice Tap, int PodIndex) : IDisposable
    {
        public void Dispose() => Tap.Dispose();
    }

    private Wired WirePod(bool nonBlocking = false, bool vnetHeader = false)
    {
        var vswitchNs = _scope.Create("vsw");
        var podNs = _scope.Create("pod");
        using var vswitch = NetworkNamespace.Open(vswitchNs);
        using var pod = NetworkNamespace.Open(podNs);
        var tap = TapDevice.Open(new TapOptions
        {
            Name = $"ct{_scope.Tag}tap",
            NonBlocking = nonBlocking,
            VnetHeader = vnetHeader,
            VnetHeaderSize = vnetHeader ? VnetHeaderSize : null,
        }, vswitch);
        try
        {
            using (var host = RtNetlink.Open(vswitch))
            {
                host.MoveLink(tap.InterfaceIndex, pod, "eth0");
            }

            // Keep the pod quiet for frame tests: no IPv6 router solicitations / MLD on eth0.
            NetworkSysctl.Write(pod, "net/ipv6/conf/eth0/disable_ipv6", "1");

            using var nl = RtNetlink.Open(pod);
            var eth0 = nl.GetLinkIndex("eth0");
            nl.SetMacAddress(eth0, PodMac);
            nl.SetMtu(eth0, 1450);
            nl.SetLinkUp(eth0);
            nl.AddAddress(eth0, PodIp, 32);
            nl.AddRoute(Route.Host(GatewayIp, eth0));
            nl.AddRoute(Route.Default(GatewayIp, eth0));
            nl.AddNeighbour(new Neighbour { InterfaceIndex = eth0, Address = GatewayIp, MacAddress = VppMac });
            return new Wired(podNs, tap, eth0);
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    [RootFact]
    public void Pod_wiring_is_visible_through_the_library_list_calls()
    {
        using var wired = WirePod();
        using var pod = NetworkNamespace.Open(wired.PodNs);
        using var nl = RtNetlink.Open(pod);

        var eth0 = nl.GetLink("eth0");
        Assert.Equal(wired.PodIndex, eth0.Index);
        Assert.Equal(PodMac, eth0.MacAddress);
        Assert.Equal(1450, eth0.Mtu);
        Assert.True(eth0.IsUp);
        Assert.Equal("tun", eth0.Kind);

        var address = Assert.Single(nl.GetAddresses(eth0.Index, System.Net.Sockets.AddressFamily.InterNetwork));
        Assert.Equal(PodIp, address.Address);
        Assert.Equal(32, address.PrefixLength);
        Assert.Equal(NetworkScope.Global, address.Scope);

        var routes = nl.GetRoutes();
        var toGateway = Assert.Single(routes, r => r.Destination == new IPNetwork(GatewayIp, 32));
        Assert.Equal(NetworkScope.Link, toGateway.Scope);
        Assert.Equal(eth0.Index, toGateway.OutputInterface);
        Assert.Null(toGateway.Gateway);
        var defaultRoute = Assert.Single(routes, r => r.IsDefault);
        Assert.Equal(GatewayIp, defaultRoute.Gateway);
        Assert.Equal(eth0.Index, defaultRoute.OutputInterface);
        Assert.Equal(NetworkScope.Global, defaultRoute.Scope);

        var arp = Assert.Single(nl.GetNeighbours(eth0.Index), n => n.Address.Equals(GatewayIp));
        Assert.Equal(VppMac, arp.MacAddress);
        Assert.Equal(NeighbourState.Permanent, arp.State);
    }

    [RootFact]
    public void Pod_wiring_is_what_ip_reports_inside_the_pod()
    {
        using var wired = WirePod();
        var ns = wired.PodNs;

        var link = Assert.Single(IpJson.Query(ns, "link show dev eth0"));
        Assert.Equal("02:fe:a1:b2:c3:d4", link.Str("address"));
        Assert.Equal(1450, link.Int("mtu"));
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        var addr = Assert.Single(IpJson.Query(ns, "-4 addr show dev eth0"));
        var info = Assert.Single(addr.GetProperty("addr_info").EnumerateArray());
        Assert.Equal("10.1.1.7", info.Str("local"));
        Assert.Equal(32, info.Int("prefixlen"));

        var routes = IpJson.Query(ns, "route show");
        var gw = Assert.Single(routes, r => r.Str("dst") == "10.1.1.1");
        Assert.Equal("eth0", gw.Str("dev"));
        Assert.Equal("link", gw.Str("scope"));
        var def = Assert.Single(routes, r => r.Str("dst") == "default");
        Assert.Equal("10.1.1.1", def.Str("gateway"));
        Assert.Equal("eth0", def.Str("dev"));

        var neigh = Assert.Single(IpJson.Query(ns, "neigh show dev eth0"), n => n.Str("dst") == "10.1.1.1");
        Assert.Equal("02:fe:5e:4d:3c:2b", neigh.Str("lladdr"));
        Assert.Contains("PERMANENT", neigh.GetProperty("state").EnumerateArray().Select(s => s.GetString()));

        // The TAP left the vswitch namespace: ip there no longer sees it.
        var vswitchNs = ns.Replace("-pod", "-vsw", StringComparison.Ordinal);
        Assert.NotEqual(0, Shell.Run($"ip -n {vswitchNs} link show dev {wired.Tap.Name}").ExitCode);
    }

    [RootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tap_fd_still_reads_and_writes_frames_after_the_move_into_the_pod(bool vnetHeader)
    {
        using var wired = WirePod(nonBlocking: true, vnetHeader);
        const ushort id = 0x5151;
        var header = vnetHeader ? VnetHeaderSize : 0;

        // Written into the TAP fd = received by eth0 in the pod; the pod's kernel answers through
        // its static ARP entry and default route, and the reply comes out of the same fd.
        // With a vnet header every frame is prefixed by it (all zero: no offload requested).
        var request = new byte[header].Concat(Frames.IcmpEchoRequest(VppMac, PodMac, GatewayIp, PodIp, id, 1)).ToArray();
        var buffer = new byte[2048];
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var sent = 0;
        var gotReply = false;
        while (!gotReply && DateTime.UtcNow < deadline)
        {
            if (sent < 5)
            {
                wired.Tap.Write(request);
                sent++;
            }

            var n = wired.Tap.Read(buffer);
            if (n < 0)
            {
                Thread.Sleep(20);
                continue;
            }

            gotReply = n > header && Frames.IsEchoReply(buffer.AsSpan(header, n - header), VppMac, PodIp, GatewayIp, id);
        }

        Assert.True(gotReply, "no ICMP echo reply from the pod came out of the TAP fd after the move");
        using var pod = NetworkNamespace.Open(wired.PodNs);
        using var nl = RtNetlink.Open(pod);
        var stats = nl.GetLink("eth0").Statistics;
        Assert.NotNull(stats);
        Assert.True(stats.RxPackets >= 1, $"eth0 rx packets {stats.RxPackets}");
        Assert.True(stats.TxPackets >= 1, $"eth0 tx packets {stats.TxPackets}");
    }
}
