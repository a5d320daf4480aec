using Contiv.Model.Vpp;
using Contiv.Vpp.Daemon;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Unicast reverse-path check on an interface (pod TAPs): a pod cannot send with another source address.</summary>
public sealed class SourceCheckTests
{
    private const string Spoofed = "source address not reachable via the rx interface (spoofed)";

    [Fact]
    public void With_source_check_only_sources_routed_via_the_rx_interface_pass()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        t.Dp.SetSourceCheck(t.Pg0, true);

        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1)));   // own subnet: passes
        t.FromA(Packets.Ip4("10.0.1.9", "10.0.1.2", 1, Packets.IcmpEcho(1, 2)));   // pg1's subnet: spoofed
        t.FromA(Packets.Ip4("99.9.9.9", "10.0.1.2", 1, Packets.IcmpEcho(1, 3)));   // no route at all: spoofed

        Assert.Equal(1, Assert.Single(t.Out1)[14 + 20 + 7]);
        Assert.Equal(2, t.ErrorCount(Ip4SourceCheckNode.NodeName, Spoofed));
        Assert.Equal(0, t.Dp.BuffersInUse());

        t.Dp.SetSourceCheck(t.Pg0, false);
        t.FromA(Packets.Ip4("10.0.1.9", "10.0.1.2", 1, Packets.IcmpEcho(1, 4)));
        Assert.Equal(2, t.Out1.Count); // off: not checked
    }

    [Fact]
    public void The_api_interface_flag_turns_the_check_on_and_dumps_it()
    {
        using var dp = new Dataplane(new DataplaneOptions { Buffers = 64 });
        var apply = new ConfigApplier(dp);
        var intf = new Interface { Name = "pod-gw", Type = InterfaceType.Loopback, Enabled = true, SourceCheck = true };

        var r = apply.ApplyOne(new ConfigOp { Action = ConfigOp.Types.Action.Put, Interface = intf });

        Assert.Equal(OpResult.Types.Status.Ok, r.Status);
        var sw = dp.FindInterface(r.DevName)!;
        Assert.True(dp.SourceCheck(sw));
        Assert.True(new StateDump(dp).Dump(new DumpRequest()).Interfaces.Single(i => i.Name == "pod-gw").SourceCheck);
        intf.SourceCheck = false;
        apply.ApplyOne(new ConfigOp { Action = ConfigOp.Types.Action.Put, Interface = intf });
        Assert.False(dp.SourceCheck(sw));
    }
}
