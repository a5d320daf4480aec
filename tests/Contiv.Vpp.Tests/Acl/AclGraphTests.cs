using Contiv.Vpp.Graph;
using Contiv.Vpp.Ip4;
using static Contiv.Vpp.Tests.Acl.AclPackets;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>
/// The ACL nodes in the graph, in process with packet-generator interfaces: pg0 faces host A
/// (10.0.0.2), pg1 host B (10.0.1.2). ACLs are built and applied with the CLI as an operator would;
/// packets are injected as frames and what leaves each port is counted.
/// </summary>
public sealed class AclGraphTests
{
    private static TwoPortDataplane Topology()
    {
        var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        return t;
    }

    private static void FromB(TwoPortDataplane t, byte[] ip) => t.Dp.Inject(t.Pg1, Packets.Ethernet(t.Pg1.Mac, TwoPortDataplane.HostB, 0x0800, ip));

    /// <summary>Injects from A and returns how many packets left pg1 (the capture is cleared).</summary>
    private static int PassesAtoB(TwoPortDataplane t, byte[] ip)
    {
        t.ClearCaptured();
        t.FromA(ip);
        return t.Out1.Count;
    }

    private static int PassesBtoA(TwoPortDataplane t, byte[] ip)
    {
        t.ClearCaptured();
        FromB(t, ip);
        return t.Out0.Count;
    }

    private static void Acl(TwoPortDataplane t, string rules, string applyTo)
    {
        var index = t.Run($"set acl-plugin acl {rules}").Trim().Replace("ACL index:", "", StringComparison.Ordinal);
        t.Run($"set acl-plugin interface {applyTo} acl {index}");
    }

    [Fact]
    public void Applying_an_acl_enables_the_node_before_nat_and_removing_it_disables_it()
    {
        using var t = Topology();
        t.Run("set interface nat44 out " + t.Pg0.Name + " output-feature");
        Acl(t, "permit", $"{t.Pg0.Name} input");
        Acl(t, "permit", $"{t.Pg0.Name} output");
        Assert.Equal(["acl-plugin-in-ip4-fa", "nat44-out2in"], t.Dp.EnabledFeatures(t.Pg0, FeatureArcs.Ip4UnicastName));
        Assert.Equal(["acl-plugin-out-ip4-fa", "nat44-in2out-output"], t.Dp.EnabledFeatures(t.Pg0, FeatureArcs.Ip4OutputName));
        t.Run($"set acl-plugin interface {t.Pg0.Name} input acl 0 del");
        Assert.Equal(["nat44-out2in"], t.Dp.EnabledFeatures(t.Pg0, FeatureArcs.Ip4UnicastName));
    }

    [Fact]
    public void Without_an_acl_everything_passes_and_with_one_unmatched_packets_are_denied_and_counted()
    {
        using var t = Topology();
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 22, Syn)));
        Acl(t, "permit src 0.0.0.0/0 dst 0.0.0.0/0 proto 6 dport 80", $"{t.Pg0.Name} input");
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 22, Syn)));
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn)));
        Assert.Equal(1, PassesBtoA(t, Udp("10.0.1.2", 53, "10.0.0.2", 5000))); // pg1 has no ACL, pg0 no output ACL
        Assert.Equal(1, t.ErrorCount("acl-plugin-in-ip4-fa", "ACL deny packets"));
        Assert.Equal(1, t.ErrorCount("acl-plugin-in-ip4-fa", "ACL permit packets"));
        Assert.Contains("ACL deny packets", t.Run("show errors"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_matching_rule_decides_and_counts_its_hit()
    {
        using var t = Topology();
        Acl(t, "deny src 10.0.0.2/32 dst 10.0.1.0/24 proto 6 dport 22, permit src 10.0.0.0/24 dst 0.0.0.0/0, deny src 0.0.0.0/0 dst 0.0.0.0/0", $"{t.Pg0.Name} input");
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 22, Syn)));
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 23, Syn)));
        Assert.Equal(1, PassesAtoB(t, Udp("10.0.0.2", 40000, "10.0.1.2", 22)));
        var acl = Assert.Single(t.Dp.Acls);
        Assert.Equal([1L, 2L, 0L], acl.Hits);
        Assert.Contains("          0: ipv4 deny src 10.0.0.2/32 dst 10.0.1.0/24 proto 6 sport 0-65535 dport 22 hits 1\n",
            t.Run("show acl-plugin acl hits"), StringComparison.Ordinal);
    }

    [Fact]
    public void Several_acls_on_one_interface_are_evaluated_in_the_order_applied()
    {
        using var t = Topology();
        Acl(t, "permit src 0.0.0.0/0 dst 0.0.0.0/0 proto 6 dport 80 tag web", $"{t.Pg0.Name} input");
        Acl(t, "deny src 10.0.0.2/32 dst 0.0.0.0/0, permit src 0.0.0.0/0 dst 0.0.0.0/0 tag rest", $"{t.Pg0.Name} input");
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn)));
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 81, Syn)));
        Assert.Equal([0, 1], t.Dp.AppliedAcls(t.Pg0, input: true));

        // Re-applied in the other order: the deny of ACL 1 now comes first.
        t.Run($"set acl-plugin interface {t.Pg0.Name} input acl 0 del");
        t.Run($"set acl-plugin interface {t.Pg0.Name} input acl 0");
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn)));
    }

    [Fact]
    public void Port_ranges_are_inclusive()
    {
        using var t = Topology();
        Acl(t, "permit src 0.0.0.0/0 dst 0.0.0.0/0 proto 17 sport 1000-2000 dport 8000-8100", $"{t.Pg0.Name} input");
        Assert.Equal(1, PassesAtoB(t, Udp("10.0.0.2", 1000, "10.0.1.2", 8000)));
        Assert.Equal(1, PassesAtoB(t, Udp("10.0.0.2", 2000, "10.0.1.2", 8100)));
        Assert.Equal(0, PassesAtoB(t, Udp("10.0.0.2", 999, "10.0.1.2", 8050)));
        Assert.Equal(0, PassesAtoB(t, Udp("10.0.0.2", 1500, "10.0.1.2", 8101)));
    }

    [Fact]
    public void Tcp_flags_rules_match_on_the_masked_flags()
    {
        using var t = Topology();
        // New connections (SYN without ACK) from A are refused; packets of other connections pass.
        Acl(t, "deny src 0.0.0.0/0 dst 0.0.0.0/0 proto 6 tcpflags 2 mask 18, permit src 0.0.0.0/0 dst 0.0.0.0/0", $"{t.Pg0.Name} input");
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn)));
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn | Ack)));
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Ack)));
        Assert.Contains("tcpflags 2 mask 18", t.Run("show acl-plugin acl"), StringComparison.Ordinal);
    }

    [Fact]
    public void Sctp_is_matched_by_its_ports_like_tcp_and_udp()
    {
        using var t = Topology();
        Acl(t, "permit src 0.0.0.0/0 dst 0.0.0.0/0 proto 132 dport 9000", $"{t.Pg0.Name} input");
        Assert.Equal(1, PassesAtoB(t, Sctp("10.0.0.2", 5000, "10.0.1.2", 9000)));
        Assert.Equal(0, PassesAtoB(t, Sctp("10.0.0.2", 5000, "10.0.1.2", 9001)));
        Assert.Equal(0, PassesAtoB(t, Udp("10.0.0.2", 5000, "10.0.1.2", 9000)));
    }

    [Fact]
    public void Non_first_fragments_match_only_rules_without_ports()
    {
        using var t = Topology();
        Acl(t, "permit src 0.0.0.0/0 dst 0.0.0.0/0 proto 17 dport 53", $"{t.Pg0.Name} input");
        Assert.Equal(0, PassesAtoB(t, NonFirstFragment(Udp("10.0.0.2", 5000, "10.0.1.2", 53))));
        Acl(t, "permit src 10.0.0.2/32 dst 10.0.1.2/32 proto 17", $"{t.Pg0.Name} input");
        Assert.Equal(1, PassesAtoB(t, NonFirstFragment(Udp("10.0.0.2", 5000, "10.0.1.2", 53))));
    }

    [Fact]
    public void Reflected_sessions_pass_the_replies_through_the_output_acl_and_show_up()
    {
        using var t = Topology();
        // Host A behind pg0 may open connections; nothing may reach it otherwise.
        Acl(t, "permit+reflect src 10.0.0.0/24 dst 0.0.0.0/0", $"{t.Pg0.Name} input");
        Acl(t, "deny src 0.0.0.0/0 dst 0.0.0.0/0", $"{t.Pg0.Name} output");
        Assert.Equal(0, PassesBtoA(t, Tcp("10.0.1.2", 80, "10.0.0.2", 40000, Syn | Ack)));
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn)));
        Assert.Equal(1, PassesBtoA(t, Tcp("10.0.1.2", 80, "10.0.0.2", 40000, Syn | Ack)));
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Ack)));
        Assert.Equal(0, PassesBtoA(t, Tcp("10.0.1.2", 80, "10.0.0.2", 40001, Ack)));
        Assert.Equal(1, t.ErrorCount("acl-plugin-in-ip4-fa", "new sessions added"));
        Assert.Equal(1, t.ErrorCount("acl-plugin-out-ip4-fa", "existing session packets"));
        var sessions = t.Run("show acl-plugin sessions");
        Assert.Contains("Sessions total: add 1 - del 0 = 1\n", sessions, StringComparison.Ordinal);
        Assert.Contains($"    sw_if_index {t.Pg0.SwIfIndex}: add 1 - del 0 = 1; epoch chg: 0\n", sessions, StringComparison.Ordinal);
        Assert.Contains($"sw_if_index {t.Pg0.SwIfIndex} proto 6 10.0.0.2:40000 -> 10.0.1.2:80 established packets 3", sessions, StringComparison.Ordinal);
    }

    [Fact]
    public void Sessions_expire_and_then_the_replies_are_denied()
    {
        using var t = Topology();
        t.Run("set acl-plugin session timeout udp idle 1");
        Acl(t, "permit+reflect src 10.0.0.0/24 dst 0.0.0.0/0", $"{t.Pg0.Name} input");
        Acl(t, "deny src 0.0.0.0/0 dst 0.0.0.0/0", $"{t.Pg0.Name} output");
        Assert.Equal(1, PassesAtoB(t, Udp("10.0.0.2", 5000, "10.0.1.2", 53)));
        Assert.Equal(1, PassesBtoA(t, Udp("10.0.1.2", 53, "10.0.0.2", 5000)));
        Thread.Sleep(1300);
        Assert.Equal(0, PassesBtoA(t, Udp("10.0.1.2", 53, "10.0.0.2", 5000)));
        Assert.Contains("Sessions total: add 1 - del 1 = 0\n", t.Run("show acl-plugin sessions"), StringComparison.Ordinal);
    }

    [Fact]
    public void With_nat_on_the_same_interface_the_input_acl_sees_the_vip_and_the_output_acl_the_backend()
    {
        using var t = Topology();
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.3"), TwoPortDataplane.HostB, isStatic: true);
        t.Run($"set interface nat44 out {t.Pg0.Name} in {t.Pg1.Name}");
        t.Run("nat44 add static mapping tcp local 10.0.1.2 8080 external 10.96.0.10 80 out2in-only");
        // pg0 input admits the Service (pre-DNAT); pg1 output admits the backend port (post-DNAT) only.
        Acl(t, "permit src 0.0.0.0/0 dst 10.96.0.10/32 proto 6 dport 80", $"{t.Pg0.Name} input");
        Acl(t, "permit src 0.0.0.0/0 dst 10.0.1.2/32 proto 6 dport 8080", $"{t.Pg1.Name} output");
        Assert.Equal(1, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.96.0.10", 80, Syn)));
        Assert.Equal(("10.0.1.2", (ushort)8080), (Dst(t.Out1[0].AsSpan(14).ToArray()), DstPort(t.Out1[0].AsSpan(14).ToArray())));
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40000, "10.0.1.2", 8080, Syn))); // straight to the backend: input ACL
        Assert.Equal(1, t.ErrorCount("acl-plugin-in-ip4-fa", "ACL deny packets"));

        // An output ACL written for the VIP does not match: the packet leaves pg1 already DNATed.
        t.Run($"set acl-plugin interface {t.Pg1.Name} output acl 1 del");
        Acl(t, "permit src 0.0.0.0/0 dst 10.96.0.10/32 proto 6 dport 80", $"{t.Pg1.Name} output");
        Assert.Equal(0, PassesAtoB(t, Tcp("10.0.0.2", 40001, "10.96.0.10", 80, Syn)));
        Assert.Equal(1, t.ErrorCount("acl-plugin-out-ip4-fa", "ACL deny packets"));
    }
}
