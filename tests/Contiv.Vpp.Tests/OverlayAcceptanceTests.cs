using System.Diagnostics;
using System.Text.RegularExpressions;
using Contiv.Testing;
using Contiv.Vpp.Ethernet;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 5 acceptance: two contiv-vpp instances in two node namespaces joined by a veth underlay
/// (each owns its end through AF_PACKET), two pods each, configured like SPEC §2.6 (VNI 10, BVI
/// 192.168.30.N/24 in VRF 1, static ARP + L2 FIB for the remote BVI, routes to the remote pod subnet).
/// </summary>
public sealed partial class OverlayAcceptanceTests
{
    private sealed class TwoNodes : IDisposable
    {
        private readonly NetnsScope _scope = new();

        public TwoNodes()
        {
            try
            {
                Nodes[0] = _scope.Create("n1");
                Nodes[1] = _scope.Create("n2");
                _scope.Veth("und1", Nodes[0], "und2", Nodes[1]);
                for (var n = 1; n <= 2; n++)
                {
                    var pods = new[] { Pod(n, "a"), Pod(n, "b") };
                    Pods[n - 1] = pods;
                    var vpp = Vpp[n - 1] = new VppProcess(Nodes[n - 1]);
                    Configure(vpp, n, 3 - n, pods);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public string[] Nodes { get; } = new string[2];

        public string[][] Pods { get; } = new string[2][];

        public VppProcess[] Vpp { get; } = new VppProcess[2];

        private string Pod(int n, string x)
        {
            var ns = _scope.Create($"p{n}{x}");
            Shell.Run($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            Shell.Run($"ip netns exec {ns} sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
            return ns;
        }

        private static void Configure(VppProcess v, int n, int m, string[] pods)
        {
            foreach (var cmd in new[]
            {
                "ip table add 1",
                "create loopback interface",                        // loop0: podGwLoop
                "set interface ip table loop0 1",
                $"set interface ip address loop0 10.1.{n}.1/24",
                "set interface state loop0 up",
                $"create host-interface name und{n}",
                $"set interface ip address host-und{n} 192.168.16.{n}/24",
                $"set interface state host-und{n} up",
                "create bridge-domain 10 learn 0 forward 1 flood 0 uu-flood 0",
                $"create loopback interface mac 12:2b:00:00:00:0{n}", // loop1: vxlanBVI
                "set interface ip table loop1 1",
                $"set interface ip address loop1 192.168.30.{n}/24",
                "set interface state loop1 up",
                "set interface l2 bridge loop1 10 bvi 1",
                $"create vxlan tunnel src 192.168.16.{n} dst 192.168.16.{m} vni 10",
                "set interface l2 bridge vxlan_tunnel0 10 1",
                $"set ip neighbor loop1 192.168.30.{m} 12:2b:00:00:00:0{m} static",
                $"l2fib add 12:2b:00:00:00:0{m} 10 vxlan_tunnel0 static",
                $"ip route add 10.1.{m}.0/24 table 1 via 192.168.30.{m} loop1",
            })
            {
                v.Cli(cmd);
            }

            for (var i = 0; i < 2; i++)
            {
                var ip = $"10.1.{n}.{i + 2}";
                v.Cli($"create tap id {i} host-if-name eth0 host-ns {pods[i]} host-mtu-size 1450");
                v.Cli($"set interface mtu 1450 tap{i}");
                v.Cli($"set interface ip table tap{i} 1");
                v.Cli($"set interface unnumbered tap{i} use loop0");
                v.Cli($"set interface state tap{i} up");
                v.Cli($"ip route add {ip}/32 table 1 via {ip} tap{i}");
                // Pod side as the CNI wires it: /32 address, link route to the gateway, default via it.
                Shell.Ip($"-n {pods[i]} addr add {ip}/32 dev eth0");
                Shell.Ip($"-n {pods[i]} route add 10.1.{n}.1/32 dev eth0 scope link");
                Shell.Ip($"-n {pods[i]} route add default via 10.1.{n}.1 dev eth0");
            }
        }

        public void Dispose()
        {
            foreach (var v in Vpp)
            {
                v?.Dispose();
            }

            _scope.Dispose();
        }
    }

    [RootFact]
    public void Pods_on_two_nodes_ping_and_move_100MB_over_vxlan_and_tshark_sees_vni_10()
    {
        using var t = new TwoNodes();
        Assert.True(NetnsScope.Ping(t.Pods[0][0], "10.1.2.2", count: 3), "node1 pod a -> node2 pod a");
        Assert.True(NetnsScope.Ping(t.Pods[1][1], "10.1.1.3", count: 2), "node2 pod b -> node1 pod b");
        Assert.True(NetnsScope.Ping(t.Pods[0][1], "10.1.1.2", count: 1), "same-node pods");

        // tshark (Debian's) decodes the underlay. AF_PACKET transmits bypass the qdisc (and so the
        // capture taps of the sending side), so each end's capture sees what the other node sent.
        Process Capture(string ns, string dev) => Process.Start(new ProcessStartInfo("ip")
        {
            ArgumentList = { "netns", "exec", ns, "tshark", "-i", dev, "-c", "3", "-a", "duration:20", "-f", "udp port 4789", "-T", "fields", "-e", "vxlan.vni", "-e", "ip.src", "-e", "ip.dst" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var cap2 = Capture(t.Nodes[1], "und2");
        using var cap1 = Capture(t.Nodes[0], "und1");
        Thread.Sleep(3000);
        NetnsScope.Ping(t.Pods[0][0], "10.1.2.3", count: 3);
        var atNode2 = cap2.StandardOutput.ReadToEnd();
        var atNode1 = cap1.StandardOutput.ReadToEnd();
        cap2.WaitForExit(25_000);
        cap1.WaitForExit(25_000);
        Assert.Matches(@"(?m)^10\t192\.168\.16\.1,10\.1\.1\.2\t192\.168\.16\.2,10\.1\.2\.3$", atNode2);
        Assert.Matches(@"(?m)^10\t192\.168\.16\.2,10\.1\.2\.3\t192\.168\.16\.1,10\.1\.1\.2$", atNode1);

        Shell.Run("ip", ["netns", "exec", t.Pods[1][1], "iperf3", "-s", "-1", "-D", "-p", "5401"]).EnsureSuccess("iperf3 server");
        Thread.Sleep(300);
        var client = Shell.Run("ip", ["netns", "exec", t.Pods[0][0], "iperf3", "-c", "10.1.2.3", "-p", "5401", "-n", "100M"], timeout: TimeSpan.FromSeconds(150));
        client.EnsureSuccess("100 MB over VXLAN");
        var tx = long.Parse(TxBytes().Match(t.Vpp[1].Cli("show interface tap1")).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(tx > 100_000_000, $"node2 tap1 tx bytes {tx}");

        // The TCP super-frames crossed the veth as UDP GSO packets and were merged back on node2.
        // Each super-frame fits one UDP GSO packet (the pod TAP's gso_max_size): hardly any datagram
        // arrives on its own.
        var errors = t.Vpp[1].Cli("show errors");
        long Count(string reason) => Regex.Match(errors, @"(\d+)\s+vxlan4-input\s+" + reason) is { Success: true } m ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var merged = Count("UDP GSO packets merged into TCP super-frames");
        var single = Count("packets decapsulated") - merged;
        Assert.True(merged > 100 && single < merged / 4, $"node2: {merged} merged UDP GSO packets, {single} single datagrams:\n{errors}");
        Assert.Matches(@"rx ring \d+ frames of \d+ bytes( per socket)?: [1-9]\d* packets, \d+ dropped by the kernel", t.Vpp[1].Cli("show hardware-interfaces host-und2"));
    }

    private const string SendFrames = """
        import socket, sys
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((sys.argv[1], 0))
        for h in sys.argv[2:]:
            s.send(bytes.fromhex(h))
        """;

    [RootFact]
    public void Bad_vxlan_is_counted_and_dropped_and_nothing_leaks_into_the_pod_vrf()
    {
        using var t = new TwoNodes();
        Assert.True(NetnsScope.Ping(t.Pods[0][0], "10.1.2.2", count: 1));
        var und1Mac = MacAddress.Parse(Regex.Match(t.Vpp[0].Cli("show hardware-interfaces host-und1"), @"Ethernet address (\S+)").Groups[1].Value);
        var und2Mac = MacAddress.Parse(Shell.Run($"ip -n {t.Nodes[1]} -br link show und2").StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);

        byte[] Vxlan(string src, ushort dport, uint vni, bool truncate = false)
        {
            var inner = Packets.Ethernet(MacAddress.Parse("12:2b:00:00:00:01"), MacAddress.Parse("12:2b:00:00:00:02"), 0x0800,
                Packets.Ip4("10.1.2.2", "10.1.1.2", 1, Packets.IcmpEcho(77, 1)));
            var vx = new byte[8 + inner.Length];
            vx[0] = 0x08;
            vx[4] = (byte)(vni >> 16);
            vx[5] = (byte)(vni >> 8);
            vx[6] = (byte)vni;
            inner.CopyTo(vx, 8);
            var payload = truncate ? vx[..4] : vx;
            var udp = Packets.Udp(50000, dport, payload.Length);
            payload.CopyTo(udp, 8);
            return Packets.Ethernet(und1Mac, und2Mac, 0x0800, Packets.Ip4(src, "192.168.16.1", 17, udp));
        }

        string Sent() => TxPackets().Match(t.Vpp[0].Cli("show interface tap0")).Groups[1].Value;
        var before = Sent();
        void Send(params byte[][] frames)
        {
            var args = new List<string> { "netns", "exec", t.Nodes[1], "python3", "-c", SendFrames, "und2" };
            args.AddRange(frames.Select(f => Convert.ToHexString(f)));
            Shell.Run("ip", args).EnsureSuccess("send vxlan frames");
            Thread.Sleep(300);
        }

        Send(Vxlan("192.168.16.2", 4789, 11), Vxlan("192.168.16.77", 4789, 10), Vxlan("192.168.16.2", 4789, 10, truncate: true), Vxlan("192.168.16.2", 4790, 10));
        var errors = t.Vpp[0].Cli("show errors");
        Assert.Matches(@"\s+2\s+vxlan4-input\s+no such tunnel", errors);
        Assert.Matches(@"\s+1\s+vxlan4-input\s+VXLAN header or inner frame truncated", errors);
        Assert.Matches(@"\s+1\s+ip4-icmp-error\s+ICMP destination unreachable sent", errors);
        Assert.Equal(before, Sent());

        // Control: the same frame with the right VNI and VTEP reaches the pod (the test can fail).
        Send(Vxlan("192.168.16.2", 4789, 10));
        Assert.NotEqual(before, Sent());
    }

    [GeneratedRegex(@"tx bytes\s+(\d+)")]
    private static partial Regex TxBytes();

    [GeneratedRegex(@"tx packets\s+(\d+)")]
    private static partial Regex TxPackets();
}
