using Contiv.Vpp.Cli;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Loops through a VXLAN tunnel expire: the outer TTL follows the inner one, packets the data plane
/// generated count down after their first hop, and no prepend writes outside its buffer's headroom.
/// </summary>
public sealed class VxlanLoopTests
{
    private static readonly MacAddress PodMac = MacAddress.Parse("02:aa:00:00:00:02");

    /// <summary>SPEC §2.6's node 1: pod in VRF 1, BD 10 = BVI loop0 + tunnel to 192.168.16.2 over an underlay pg.</summary>
    private sealed class OverlayNode : IDisposable
    {
        public OverlayNode()
        {
            Dp = new Dataplane(new DataplaneOptions { Buffers = 1024 });
            Dp.Start();
            Cli = new CliEngine(Dp);
            Underlay = Dp.CreatePacketGenerator(MacAddress.Parse("02:16:00:00:00:01"));
            Pod = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:01:01"));
            Run($"set interface ip address {Underlay.DevName} 192.168.16.1/24");
            Run($"set interface state {Underlay.DevName} up");
            Run($"set ip neighbor {Underlay.DevName} 192.168.16.2 02:16:00:00:00:02 static");
            Run("ip table add 1");
            Run($"set interface ip table {Pod.DevName} 1");
            Run($"set interface ip address {Pod.DevName} 10.1.1.1/24");
            Run($"set interface state {Pod.DevName} up");
            Run("create bridge-domain 10 learn 0 forward 1 flood 0 uu-flood 0");
            Run("create loopback interface mac 12:2b:00:00:00:01");
            Run("set interface ip table loop0 1");
            Run("set interface ip address loop0 192.168.30.1/24");
            Run("set interface state loop0 up");
            Run("set interface l2 bridge loop0 10 bvi 1");
            Run("create vxlan tunnel src 192.168.16.1 dst 192.168.16.2 vni 10");
            Run("set interface l2 bridge vxlan_tunnel0 10 1");
            Run("set ip neighbor loop0 192.168.30.2 12:2b:00:00:00:02 static");
            Run("l2fib add 12:2b:00:00:00:02 10 vxlan_tunnel0 static");
            Run("ip route add 10.1.2.0/24 table 1 via 192.168.30.2 loop0");
        }

        public Dataplane Dp { get; }

        public CliEngine Cli { get; }

        public SwInterface Underlay { get; }

        public SwInterface Pod { get; }

        public void FromPod(byte ttl)
            => Dp.Inject(Pod, Packets.Ethernet(Pod.Mac, PodMac, 0x0800, Packets.Ip4("10.1.1.2", "10.1.2.2", 1, Packets.IcmpEcho(5, 1), ttl: ttl)));

        public string Run(string cmd)
        {
            var r = Cli.Execute(cmd);
            Assert.False(r.Error, $"`{cmd}`: {r.Output}");
            return r.Output;
        }

        public long Errors(string node, string reason)
        {
            var errors = Dp.Graph.Errors;
            long total = 0;
            for (var e = 0; e < errors.Count; e++)
            {
                if (errors[e].Node.Name == node && errors[e].Reason == reason)
                {
                    total += Dp.Contexts.Sum(c => c.ErrorCounters[e]);
                }
            }

            return total;
        }

        public void Dispose() => Dp.Dispose();
    }

    [Fact]
    public void Outer_ttl_follows_the_inner_ttl_after_the_routed_hop()
    {
        using var n = new OverlayNode();
        n.FromPod(ttl: 9);

        var outer = Assert.Single(Dataplane.Captured(n.Underlay));
        Assert.Equal(8, Packets.Ttl(outer)); // inner 9, decremented once by the routed hop into the tunnel
        Assert.Equal(8, outer[14 + 20 + 8 + 8 + 14 + 8]); // the inner TTL itself
    }

    [Fact]
    public void A_routing_loop_through_the_tunnel_ends_without_writing_outside_the_buffer()
    {
        using var n = new OverlayNode();
        // The underlay route to the remote VTEP points back into the overlay: every encapsulated packet
        // is routed into the tunnel again and encapsulated once more.
        n.Run("ip route add 192.168.16.2/32 via 192.168.30.2 loop0");

        var inject = Task.Run(() => n.FromPod(ttl: 64));
        Assert.True(inject.Wait(TimeSpan.FromSeconds(10)), "the looping packet never left the graph");

        Assert.Empty(Dataplane.Captured(n.Underlay));
        Assert.Equal(1, n.Errors("vxlan4-encap", "no buffer headroom for the outer headers") + n.Errors("ip4-rewrite", "ip4 ttl <= 1"));
        Assert.Equal(0, n.Dp.NodeFailures);
        Assert.Equal(0, n.Dp.BuffersInUse());
        // The data plane still forwards once the loop is gone.
        n.Run("ip route del 192.168.16.2/32 via 192.168.30.2 loop0");
        n.FromPod(ttl: 64);
        Assert.Single(Dataplane.Captured(n.Underlay));
    }
}
