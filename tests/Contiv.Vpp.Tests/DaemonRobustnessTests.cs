using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Contiv.Testing;
using Contiv.Vpp.Ethernet;

namespace Contiv.Vpp.Tests;

/// <summary>Malformed frames from a real pod, metrics/liveness, graceful SIGTERM.</summary>
public sealed class DaemonRobustnessTests
{
    private const string SendFrames = """
        import socket, sys
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind(("eth0", 0))
        for h in sys.argv[1:]:
            try:
                s.send(bytes.fromhex(h))
                print("sent", len(h) // 2)
            except OSError as e:
                print("refused", len(h) // 2, e)
        """;

    [RootFact]
    public void Malformed_frames_from_a_pod_are_counted_and_dropped_and_forwarding_continues()
    {
        using var t = new PodTopology();
        Assert.True(NetnsScope.Ping(t.A, "10.1.2.2"));
        Shell.Ip($"-n {t.A} link set eth0 mtu 9000");
        var tap0Mac = MacAddress.Parse(Regex.Match(t.Vpp.Cli("show hardware-interfaces tap0"), @"Ethernet address (\S+)").Groups[1].Value);
        var podMac = MacAddress.Parse(Shell.Run($"ip -n {t.A} -br link show eth0").StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
        byte[] Eth(byte[] p, ushort type = 0x0800) => Packets.Ethernet(tap0Mac, podMac, type, p);
        var good = Packets.Ip4("10.1.1.2", "10.1.2.2", 1, Packets.IcmpEcho(9, 9));
        var badIhl = (byte[])good.Clone();
        badIhl[0] = 0x43;
        var badLen = (byte[])good.Clone();
        badLen[2] = 0x20;
        badLen[10] = 0;
        badLen[11] = 0;
        var cs = Packets.IpChecksum(badLen.AsSpan(0, 20));
        badLen[10] = (byte)(cs >> 8);
        badLen[11] = (byte)cs;
        var badSum = (byte[])good.Clone();
        badSum[10] ^= 0x5a;
        var arp = Packets.Arp(1, podMac, "10.1.1.2", MacAddress.Zero, "10.1.1.1");
        arp[5] = 16;
        var frames = new[]
        {
            Eth(badIhl), Eth(badLen), Eth(badSum), Eth(good[..12]), Eth(good)[..10],
            Eth(Packets.Ip4("10.1.1.2", "10.1.2.2", 17, Packets.Udp(1, 2, 3000))), Eth(arp, 0x0806),
        };
        var args = new List<string> { "netns", "exec", t.A, "python3", "-c", SendFrames };
        args.AddRange(frames.Select(f => Convert.ToHexString(f)));
        var sent = Shell.Run("ip", args).EnsureSuccess("send malformed frames").StdOut;
        // Everything but the runt must have left the pod (the kernel may refuse a frame shorter than a header).
        Assert.Equal(6, Regex.Matches(sent, @"^sent (?!10\b)", RegexOptions.Multiline).Count);
        Thread.Sleep(300);

        var errors = t.Vpp.Cli("show errors");
        foreach (var reason in new[]
        {
            "ip4 header length < 20 or > packet", "ip4 length > l2 length or < header", "bad ip4 checksum",
            "ip4 length < 20 bytes", "frame larger than MTU (jumbo)", "ARP hardware/protocol type or address length invalid",
        })
        {
            Assert.Matches($@"\s+1\s+\S+\s+{Regex.Escape(reason)}", errors);
        }

        if (sent.Contains("sent 10", StringComparison.Ordinal))
        {
            // A runt the kernel let through (possibly padded to 14 bytes) is dropped as short or typeless.
            Assert.Matches(@"(ethernet frame too short|unknown ethernet type)", errors);
        }
        Assert.False(t.Vpp.HasExited);
        Assert.True(NetnsScope.Ping(t.A, "10.1.2.2"), "forwarding continues after malformed input");
    }

    [RootFact]
    public void Metrics_and_liveness_are_served_and_sigterm_shuts_down_cleanly()
    {
        var port = FreePort();
        using var scope = new NetnsScope();
        var node = scope.Create("node");
        var pod = scope.Create("pod");
        using var vpp = new VppProcess(node, "--http", $"127.0.0.1:{port}");
        vpp.Cli($"create tap id 3 host-if-name eth0 host-ns {pod} host-ip4-addr 10.3.0.2/24");
        vpp.Cli("set interface ip address tap3 10.3.0.1/24");
        vpp.Cli("set interface state tap3 up");
        Assert.True(NetnsScope.Ping(pod, "10.3.0.1"));

        using var http = new HttpClient();
        Assert.Equal("\"live\"", http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/liveness")).GetAwaiter().GetResult());
        var metrics = http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")).GetAwaiter().GetResult();
        Assert.Matches(@"contiv_vpp_interface_rx_packets\{interface=""tap3"",dev_name=""tap3""\} [1-9]", metrics);

        Assert.True(vpp.Terminate(TimeSpan.FromSeconds(10)), "exits within 10 s of SIGTERM");
        Assert.Equal(0, vpp.ExitCode);
        Assert.False(File.Exists(vpp.CliSocket), "CLI socket removed");
        Assert.False(File.Exists(vpp.ApiSocket), "API socket removed");
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} -br link").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void Bad_options_are_reported_by_name()
    {
        var r = Shell.Run(RepoPaths.Executable("contiv-vpp"), ["--workers", "zero"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--workers: 'zero'", r.StdErr, StringComparison.Ordinal);
        var help = Shell.Run(RepoPaths.Executable("contiv-vpp"), ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--cli-socket", help.StdOut, StringComparison.Ordinal);
        var ctl = Shell.Run(RepoPaths.Executable("contiv-vppctl"), ["-s", "/nonexistent/cli.sock", "show", "version"]);
        Assert.Equal(1, ctl.ExitCode);
        Assert.Contains("/nonexistent/cli.sock", ctl.StdErr, StringComparison.Ordinal);
    }

    [RootFact]
    public void The_daemon_watches_no_files()
    {
        // The web host's default configuration reload put a recursive inotify watcher on the working directory
        // (for a daemon that is "/"), which woke a thread for every file written anywhere below it.
        using var vpp = new VppProcess(null);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(vpp.ApiSocket), TimeSpan.FromSeconds(20)), vpp.Log);
        var watchers = Directory.GetFiles($"/proc/{vpp.Pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Count(target => target == "anon_inode:inotify");
        Assert.Equal(0, watchers);
        Assert.DoesNotContain(Directory.GetDirectories($"/proc/{vpp.Pid}/task"),
            t => File.ReadAllText(Path.Combine(t, "comm")).StartsWith(".NET File", StringComparison.Ordinal));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
