using System.Net;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

/// <summary>Three namespaces: a switch namespace with a bridge, two hosts attached by veth pairs.</summary>
public sealed class BridgeTopologyTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public void Veth_pairs_into_two_namespaces_on_a_bridge_ping_end_to_end()
    {
        var swName = _scope.Create("sw");
        var aName = _scope.Create("a");
        var bName = _scope.Create("b");
        using var sw = NetworkNamespace.Open(swName);
        using var a = NetworkNamespace.Open(aName);
        using var b = NetworkNamespace.Open(bName);

        using (var nl = RtNetlink.Open(sw))
        {
            nl.CreateBridge("br0");
            nl.CreateVeth("va", "eth0", a);
            nl.CreateVeth("vb", "eth0", b, mtu: 1400);
            var br = nl.GetLinkIndex("br0");
            foreach (var port in new[] { "va", "vb" })
            {
                var i = nl.GetLinkIndex(port);
                nl.SetMaster(i, br);
                nl.SetLinkUp(i);
            }

            nl.SetLinkUp(br);

            var links = nl.GetLinks();
            Assert.Equal("bridge", links.Single(l => l.Name == "br0").Kind);
            var va = links.Single(l => l.Name == "va");
            Assert.Equal("veth", va.Kind);
            Assert.Equal(br, va.MasterIndex);
            Assert.NotNull(va.LinkNetnsId); // the peer lives in another namespace
            Assert.Equal(1400, links.Single(l => l.Name == "vb").Mtu);
        }

        foreach (var (ns, ip) in new[] { (a, "10.9.0.1"), (b, "10.9.0.2") })
        {
            using var nl = RtNetlink.Open(ns);
            var eth0 = nl.GetLink("eth0");
            Assert.Equal("veth", eth0.Kind);
            nl.SetLinkUp(eth0.Index);
            nl.AddAddress(eth0.Index, IPAddress.Parse(ip), 24);
        }

        // ip agrees about the bridge ports.
        var ports = IpJson.Query(swName, "link show master br0").Select(l => l.Str("ifname")).ToHashSet();
        Assert.Equal(new HashSet<string?> { "va", "vb" }, ports);

        Assert.True(NetnsScope.Ping(aName, "10.9.0.2", count: 3, waitSeconds: 2), "a cannot ping b over the bridge");
        Assert.True(NetnsScope.Ping(bName, "10.9.0.1", count: 1, waitSeconds: 2), "b cannot ping a over the bridge");

        using var nlb = RtNetlink.Open(b);
        var stats = nlb.GetLink("eth0").Statistics!;
        Assert.True(stats.RxPackets >= 3, $"b eth0 rx packets {stats.RxPackets}");

        // Releasing a port from the bridge cuts the path.
        using (var nl = RtNetlink.Open(sw))
        {
            nl.ClearMaster(nl.GetLinkIndex("vb"));
            Assert.Null(nl.GetLink("vb").MasterIndex);
        }

        Assert.False(NetnsScope.Ping(aName, "10.9.0.2", count: 1, waitSeconds: 1), "a still reaches b after vb left the bridge");
    }
}
