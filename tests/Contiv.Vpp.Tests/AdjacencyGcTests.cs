using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Adjacencies the data path created for neighbours are reclaimed with them; route-held ones stay.</summary>
public sealed class AdjacencyGcTests
{
    private static int LiveAdjacencies(Dataplane dp) => dp.Neighbors.Adjacencies.Count(a => a is not null);

    [Fact]
    public void Neighbors_that_come_and_go_do_not_grow_the_adjacency_array()
    {
        using var t = new TwoPortDataplane();
        for (var i = 2; i < 52; i++)
        {
            var ip = $"10.0.1.{i}";
            t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse(ip), TwoPortDataplane.HostB, isStatic: false);
            t.FromA(Packets.Ip4("10.0.0.2", ip, 17, Packets.Udp(1, 2, 8)));
        }

        Assert.Equal(50, t.Out1.Count);
        Assert.Equal(50, LiveAdjacencies(t.Dp));
        for (var i = 2; i < 52; i++)
        {
            Assert.True(t.Dp.DeleteNeighbor(t.Pg1, Ip4Address.Parse($"10.0.1.{i}")));
        }

        Assert.Equal(0, LiveAdjacencies(t.Dp));
    }

    [Fact]
    public void An_adjacency_a_route_uses_survives_its_neighbor()
    {
        using var t = new TwoPortDataplane();
        t.Run("ip route add 10.9.0.0/16 via 10.0.1.2 pg1");
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: false);
        Assert.True(t.Dp.DeleteNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2")));
        Assert.Equal(1, LiveAdjacencies(t.Dp));
        t.FromA(Packets.Ip4("10.0.0.2", "10.9.0.1", 17, Packets.Udp(1, 2, 8)));
        Assert.Equal(0x0806, Packets.EtherType(Assert.Single(t.Out1))); // resolves again through the route's adjacency
    }
}
