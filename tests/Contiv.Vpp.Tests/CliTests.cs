namespace Contiv.Vpp.Tests;

/// <summary>The debug CLI: VPP syntax, abbreviations, error messages naming the bad token, output layouts.</summary>
public sealed class CliTests
{
    [Fact]
    public void Abbreviated_words_resolve_to_commands()
    {
        using var t = new TwoPortDataplane();
        Assert.Contains("pg0", t.Run("sh int"), StringComparison.Ordinal);
        Assert.Contains("L3 10.0.0.1/24", t.Run("sh int addr"), StringComparison.Ordinal);
        Assert.Contains("Ethernet address 02:fe:00:00:00:01", t.Run("sh hard pg0"), StringComparison.Ordinal);
        Assert.StartsWith("vpp v", t.Run("sh ver"), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_name_the_command_and_the_bad_token()
    {
        using var t = new TwoPortDataplane();
        var r = t.Cli.Execute("set interface state foo up");
        Assert.True(r.Error);
        Assert.Equal("set interface state: unknown interface `foo'\n", r.Output);
        r = t.Cli.Execute("show bogus");
        Assert.True(r.Error);
        Assert.Contains("`bogus'", r.Output, StringComparison.Ordinal);
        r = t.Cli.Execute("set interface ip address pg0 10.0.0.300/24");
        Assert.True(r.Error);
        Assert.Contains("10.0.0.300/24", r.Output, StringComparison.Ordinal);
        r = t.Cli.Execute("ip route add 10.9.0.0/16 table 99 via 10.0.0.2 pg0");
        Assert.True(r.Error);
        Assert.Contains("Nonexistent table id 99", r.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_ip_fib_lists_connected_receive_and_configured_entries()
    {
        using var t = new TwoPortDataplane(table: 3);
        t.Run("ip route add 10.8.0.0/16 table 3 via 10.0.1.2 pg1");
        var fib = t.Run("show ip fib table 3");
        Assert.Contains("ipv4-VRF:3, fib_index:1", fib, StringComparison.Ordinal);
        Assert.Contains("10.0.0.1/32\n  unicast-ip4-chain\n  [@0]: dpo-load-balance: [proto:ip4 buckets:1 uRPF:0 to:[0:0]]\n    [0] [@2]: dpo-receive: 10.0.0.1 on pg0", fib, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/24", fib, StringComparison.Ordinal);
        Assert.Contains("ipv4-glean: pg0", fib, StringComparison.Ordinal);
        Assert.Contains("10.8.0.0/16", fib, StringComparison.Ordinal);
        Assert.Contains("arp-ipv4: via 10.0.1.2 pg1", fib, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0/0\n  unicast-ip4-chain\n  [@0]: dpo-load-balance: [proto:ip4 buckets:1 uRPF:0 to:[0:0]]\n    [0] [@0]: dpo-drop ip4", fib, StringComparison.Ordinal);
        Assert.DoesNotContain("ipv4-VRF:0,", fib, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_interface_counters_match_what_was_sent()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Contiv.Vpp.Ip4.Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, true);
        for (var i = 0; i < 5; i++)
        {
            t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, (ushort)i, payload: 56)));
        }

        var show = t.Run("show interface");
        // 5 frames of 14 + 20 + 8 + 56 = 98 bytes.
        Assert.Matches(@"pg0\s+1\s+up\s+1500/0/0/0\s+rx packets\s+5\n\s+rx bytes\s+490\n\s+ip4\s+5\n", show);
        Assert.Matches(@"pg1\s+2\s+up\s+1500/0/0/0\s+tx packets\s+5\n\s+tx bytes\s+490\n", show);
        t.Run("clear interfaces");
        Assert.DoesNotMatch("rx packets", t.Run("show interface"));
    }

    [Fact]
    public void Trace_shows_each_node_on_the_path()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Contiv.Vpp.Ip4.Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, true);
        t.Run("trace add pg-input 10");
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1)));
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 2), ttl: 1));
        var trace = t.Run("show trace");
        var first = trace[..trace.IndexOf("Packet 2", StringComparison.Ordinal)];
        string[] path = ["pg-input", "ethernet-input", "ip4-input", "ip4-lookup", "ip4-rewrite", "pg1-output", "pg1-tx"];
        var pos = 0;
        foreach (var node in path)
        {
            var at = first.IndexOf(": " + node + "\n", pos, StringComparison.Ordinal);
            Assert.True(at >= 0, $"node {node} missing or out of order in:\n{first}");
            pos = at;
        }

        Assert.Contains("ICMP: 10.0.0.2 -> 10.0.1.2", first, StringComparison.Ordinal);
        Assert.Contains("ip4-icmp-error", trace, StringComparison.Ordinal);
        t.Run("clear trace");
        Assert.Contains("No packets in trace buffer", t.Run("show trace"), StringComparison.Ordinal);
        var bad = t.Cli.Execute("trace add ip4-lookup 3");
        Assert.True(bad.Error);
        Assert.Contains("doesn't support per-node tracing", bad.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_and_buffers_report_activity()
    {
        using var t = new TwoPortDataplane();
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1)));
        var rt = t.Run("show runtime");
        Assert.Matches(@"ethernet-input\s+active\s+1\s+1\s+0", rt);
        Assert.Contains("default-numa-0", t.Run("show buffers"), StringComparison.Ordinal);
    }
}
