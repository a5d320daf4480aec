using System.Text.RegularExpressions;
using Contiv.Testing;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 4 acceptance: the published contiv-vpp forwarding real packets between real namespaces on
/// TAP and AF_PACKET interfaces, checked with ping, iperf3 and the CLI.
/// </summary>
public sealed partial class DaemonAcceptanceTests
{
    [RootFact]
    public void Pods_on_taps_in_vrf1_ping_each_other_and_move_100MB_over_tcp()
    {
        using var t = new PodTopology();
        Assert.True(NetnsScope.Ping(t.A, "10.1.2.2", count: 2), "pod A -> pod B");
        Assert.True(NetnsScope.Ping(t.B, "10.1.1.2", count: 2), "pod B -> pod A");

        t.Vpp.Cli("clear interfaces");
        var server = Shell.Run("ip", ["netns", "exec", t.B, "iperf3", "-s", "-1", "-D", "-p", "5301"]);
        server.EnsureSuccess("iperf3 server");
        Thread.Sleep(300);
        var client = Shell.Run("ip", ["netns", "exec", t.A, "iperf3", "-c", "10.1.2.2", "-p", "5301", "-n", "100M"], timeout: TimeSpan.FromSeconds(120));
        client.EnsureSuccess("iperf3 100 MB transfer");
        Assert.Contains("receiver", client.StdOut, StringComparison.Ordinal);
        var show = t.Vpp.Cli("show interface tap1");
        var txBytes = long.Parse(RxTx().Match(show).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(txBytes > 100_000_000, $"tap1 tx bytes {txBytes} should exceed 100 MB:\n{show}");
    }

    [RootFact]
    public void Pod_pings_the_data_plane_address_and_arp_resolves_both_ways()
    {
        using var t = new PodTopology();
        Assert.True(NetnsScope.Ping(t.A, "10.1.1.1", count: 2), "pod A -> data plane 10.1.1.1");

        // The pod learned the data plane's MAC by ARP, and the data plane learned the pod's.
        var tap0Mac = Regex.Match(t.Vpp.Cli("show hardware-interfaces tap0"), @"Ethernet address (\S+)").Groups[1].Value;
        var podNeigh = Shell.Run($"ip -n {t.A} neigh show 10.1.1.1").StdOut;
        Assert.Contains(tap0Mac, podNeigh, StringComparison.Ordinal);
        var podMac = Shell.Run($"ip -n {t.A} -br link show eth0").StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        Assert.Matches($@"10\.1\.1\.2\s+D\s+{podMac}\s+tap0", t.Vpp.Cli("show ip neighbors"));
    }

    [RootFact]
    public void Ttl_1_gets_time_exceeded_and_unknown_destination_is_dropped_with_a_reason()
    {
        using var t = new PodTopology();
        Assert.True(NetnsScope.Ping(t.A, "10.1.2.2"));
        var ping = Shell.Run("ip", ["netns", "exec", t.A, "ping", "-c", "1", "-W", "2", "-t", "1", "10.1.2.2"]);
        Assert.Contains("Time to live exceeded", ping.StdOut, StringComparison.Ordinal);
        Assert.Contains("From 10.1.1.1", ping.StdOut, StringComparison.Ordinal);

        Assert.False(NetnsScope.Ping(t.A, "10.77.0.1", count: 2, waitSeconds: 1));
        Assert.Matches(@"\s+[2-9]\d*\s+ip4-lookup\s+ip4 destination lookup miss\s+error", t.Vpp.Cli("show errors"));
    }

    [RootFact]
    public void Pod_on_af_packet_veth_reaches_the_tap_pods()
    {
        using var t = new PodTopology(withAfPacketPod: true);
        Assert.True(NetnsScope.Ping(t.C!, "10.1.1.2", count: 2), "pod C (af_packet) -> pod A (tap)");
        Assert.True(NetnsScope.Ping(t.B, "10.1.3.2", count: 2), "pod B (tap) -> pod C (af_packet)");
        var server = Shell.Run("ip", ["netns", "exec", t.C!, "iperf3", "-s", "-1", "-D", "-p", "5302"]);
        server.EnsureSuccess("iperf3 server");
        Thread.Sleep(300);
        Shell.Run("ip", ["netns", "exec", t.A, "iperf3", "-c", "10.1.3.2", "-p", "5302", "-n", "20M"], timeout: TimeSpan.FromSeconds(60))
            .EnsureSuccess("TCP tap -> af_packet");
        Assert.Contains("Linux PACKET socket interface", t.Vpp.Cli("show hardware-interfaces host-vethc"), StringComparison.Ordinal);
    }

    [RootFact]
    public void Show_trace_shows_each_node_and_show_interface_counts_what_was_sent()
    {
        using var t = new PodTopology();
        // Static ARP in the pod (as the agent wires pods) so only the pings cross tap0.
        var tap0Mac = Regex.Match(t.Vpp.Cli("show hardware-interfaces tap0"), @"Ethernet address (\S+)").Groups[1].Value;
        Shell.Ip($"-n {t.A} neigh replace 10.1.1.1 lladdr {tap0Mac} dev eth0 nud permanent");
        Assert.True(NetnsScope.Ping(t.A, "10.1.2.2"));
        Thread.Sleep(200);
        t.Vpp.Cli("clear interfaces");
        t.Vpp.Cli("trace add tap-input 20");
        Shell.Run("ip", ["netns", "exec", t.A, "ping", "-c", "5", "-i", "0.2", "-s", "56", "10.1.1.1"]).EnsureSuccess("5 pings");
        var show = t.Vpp.Cli("show interface tap0");
        Assert.Matches(@"tap0\s+1\s+up\s+1500/0/0/0\s+rx packets\s+5\n\s+rx bytes\s+490\n\s+tx packets\s+5\n\s+tx bytes\s+490\n", show);

        var trace = t.Vpp.Cli("show trace");
        var first = trace[trace.IndexOf("Packet 1", StringComparison.Ordinal)..trace.IndexOf("Packet 2", StringComparison.Ordinal)];
        var pos = 0;
        foreach (var node in new[] { "tap-input", "ethernet-input", "ip4-input", "ip4-lookup", "ip4-local", "ip4-lookup", "ip4-rewrite", "tap0-output", "tap0-tx" })
        {
            var at = first.IndexOf(": " + node + "\n", pos, StringComparison.Ordinal);
            Assert.True(at >= 0, $"{node} missing or out of order:\n{first}");
            pos = at + 1;
        }

        Assert.Contains("ICMP: 10.1.1.2 -> 10.1.1.1", first, StringComparison.Ordinal);
        Assert.Contains("ICMP echo_request", first, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"tx bytes\s+(\d+)")]
    private static partial Regex RxTx();
}
