using Contiv.Vpp.Nat;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>The show views print FD.io VPP's layouts (the samples of the CLI reference).</summary>
public sealed class NatFormatTests
{
    private static Nat44 Sample()
    {
        var nat = new Nat44(maxSessions: 16, random: new Random(1));
        nat.Mappings.Put(new NatExternalKey(A("4.4.4.4"), 0, NatProtocol.None), NatMappingFlags.None, [new NatLocal(A("10.0.0.3"), 0, 0, 0)]);
        nat.Mappings.Put(new NatExternalKey(A("4.4.4.4"), 3606, NatProtocol.Tcp), NatMappingFlags.None, [new NatLocal(A("10.0.0.3"), 6303, 0, 0)]);
        nat.Mappings.Put(new NatExternalKey(A("1.2.3.4"), 80, NatProtocol.Tcp), NatMappingFlags.Out2InOnly,
            [new NatLocal(A("10.100.10.10"), 8080, 0, 80), new NatLocal(A("10.100.10.20"), 8080, 0, 20)]);
        return nat;
    }

    [Fact]
    public void Static_mappings_print_one_line_each_and_a_line_per_load_balanced_local()
    {
        Assert.Equal(
            "NAT44 static mappings:\n" +
            " local 10.0.0.3 external 4.4.4.4 vrf 0\n" +
            " TCP local 10.0.0.3:6303 external 4.4.4.4:3606 vrf 0\n" +
            " TCP external 1.2.3.4:80  out2in-only\n" +
            "  local 10.100.10.10:8080 vrf 0 probability 80\n" +
            "  local 10.100.10.20:8080 vrf 0 probability 20\n",
            Sample().FormatStaticMappings());
    }

    [Fact]
    public void A_session_prints_both_flows_with_what_each_rewrites()
    {
        var nat = Sample();
        nat.In2Out(Tcp("10.0.0.3", 6303, "8.8.8.8", 80, Syn, payload: 20), 0, 0, 1, dynamicSnat: false);
        nat.Out2In(Tcp("8.8.8.8", 80, "4.4.4.4", 3606, Syn | Ack, payload: 20), 0, 2);
        nat.In2Out(Tcp("10.0.0.3", 6303, "8.8.8.8", 80, Ack, payload: 20), 0, 0, 3, dynamicSnat: false);
        nat.Out2In(Tcp("8.8.8.8", 80, "4.4.4.4", 3606, Ack, payload: 20), 0, 12.34);

        Assert.Equal(
            "NAT44 ED sessions:\n" +
            "-------- thread 0 vpp_main: 1 sessions --------\n" +
            "    i2o 10.0.0.3 proto TCP port 6303 fib 0\n" +
            "    o2i 4.4.4.4 proto TCP port 3606 fib 0\n" +
            "       external host 8.8.8.8:80\n" +
            "       i2o flow: match: saddr 10.0.0.3 sport 6303 daddr 8.8.8.8 dport 80 proto TCP fib_idx 0 rewrite: saddr 4.4.4.4 sport 3606\n" +
            "       o2i flow: match: saddr 8.8.8.8 sport 80 daddr 4.4.4.4 dport 3606 proto TCP fib_idx 0 rewrite: daddr 10.0.0.3 dport 6303\n" +
            "       index 0\n" +
            "       last heard 12.34\n" +
            "       timeout in 7427.66\n" +
            "       total pkts 4, total bytes 240\n" +
            "       static translation\n",
            nat.FormatSessions(24.68));
    }

    [Fact]
    public void A_filtered_session_list_ends_with_the_showed_line()
    {
        var nat = Sample();
        nat.In2Out(Tcp("10.0.0.3", 6303, "8.8.8.8", 80, Syn), 0, 0, 1, dynamicSnat: false);
        nat.In2Out(Tcp("10.0.0.3", 6304, "8.8.8.8", 80, Syn), 0, 0, 1, dynamicSnat: false);

        var text = nat.FormatSessions(2, filter: (in NatSession s) => s.In2OutKey.SrcPort == 6304);

        Assert.EndsWith("Showed: 1, Filtered: 1 of total 2 sessions of thread 0\n", text, StringComparison.Ordinal);
        Assert.Contains("i2o 10.0.0.3 proto TCP port 6304 fib 0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("port 6303 fib", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_counts_sessions_by_protocol_and_state()
    {
        var nat = Sample();
        nat.Pool.Add(A("192.168.16.1"));
        nat.In2Out(Tcp("10.0.0.3", 6303, "8.8.8.8", 80, Syn), 0, 0, 1, dynamicSnat: false);
        nat.In2Out(Udp("10.1.1.2", 5000, "8.8.8.8", 53), 1, 0, 1, dynamicSnat: true);
        nat.In2Out(Echo("10.1.1.2", "8.8.8.8", 5), 1, 0, 1, dynamicSnat: true);

        var text = nat.FormatSummary();

        Assert.Contains("max translations per thread: 16\n", text, StringComparison.Ordinal);
        Assert.Contains("total sessions: 3\n", text, StringComparison.Ordinal);
        Assert.Contains("total tcp transitory sessions: 1\n", text, StringComparison.Ordinal);
        Assert.Contains("total udp sessions: 1\n", text, StringComparison.Ordinal);
        Assert.Contains("total icmp sessions: 1\n", text, StringComparison.Ordinal);
        Assert.Contains("  1 busy udp ports", nat.FormatAddresses(), StringComparison.Ordinal);
    }
}
