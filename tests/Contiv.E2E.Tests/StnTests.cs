using System.Diagnostics;
using System.Globalization;
using Contiv.Testing;
using Xunit.Abstractions;

namespace Contiv.E2E.Tests;

/// <summary>
/// <c>contiv-lab up --stn</c> (docs/stn.md, "In the lab"): single-NIC nodes whose <c>eth0</c> the data plane has
/// stolen. The node host stays reachable on its node IP from the underlay (ping and a TCP service in the host's
/// namespace, from the underlay's gateway 192.168.16.254) while pods on both nodes reach each other and the hosts;
/// <c>kill -9</c> of a node's contiv-vpp gives the host its NIC back with its address and default route, and the
/// lab's supervisor restarts contiv-init, which steals it again, after which every pod connects again.
/// </summary>
public sealed class StnTests(StnLabFixture fixture, ITestOutputHelper output) : IClassFixture<StnLabFixture>
{
    private const int HostServicePort = 7480;

    private Lab Lab => fixture.Lab;

    [RootFact]
    public void The_node_host_stays_reachable_from_the_underlay_while_pods_reach_each_other_and_the_hosts()
    {
        Assert.True(fixture.StartError is null, fixture.StartError);
        output.WriteLine($"up --stn took {fixture.UpSeconds:F1} s");
        foreach (var n in new[] { 1, 2 })
        {
            var ns = fixture.NodeNetns(n);
            var ip = NodeIp(n);
            Eventually(TimeSpan.FromSeconds(60), () => Stolen(ns), () => $"node{n}'s eth0 is not stolen: {Ip($"-n {ns} -4 -o addr")}\n{Lab.Diagnostics()}");

            // The host keeps the node IP (on the data plane's host interface) and its original default route through it.
            var hostAddresses = Ip($"-n {ns} -4 -o addr show dev vpp1");
            Assert.Contains($"{ip}/24", hostAddresses, StringComparison.Ordinal);
            var routes = Ip($"-n {ns} -4 route");
            Assert.Contains($"default via {StnLabFixture.Gateway} dev vpp1", routes, StringComparison.Ordinal);

            using var service = StartHostService(ns, $"host-node{n}");
            try
            {
                Eventually(TimeSpan.FromSeconds(10), () => UnderlayPing(ip), () => $"ping {ip} from the underlay failed:\n{routes}\n{Lab.Diagnostics()}");
                Eventually(TimeSpan.FromSeconds(10), () => UnderlayTcp(ip) == $"host-node{n}", () => $"TCP {ip}:{HostServicePort} from the underlay: '{UnderlayTcp(ip)}'\n{Lab.Diagnostics()}");
            }
            finally
            {
                Stop(service);
            }
        }

        var (code, report, raw) = CheckEventually(TimeSpan.FromSeconds(60));
        Assert.True(code == 0 && report.Passed, $"check failed: {report.Summary}\n{raw}\n{Lab.Diagnostics()}");
        foreach (var label in new[] { "host/node1", "host/node2", "default/sweb1", "default/sweb2" })
        {
            Assert.Contains(report.Endpoints, e => e.Label == label);
        }

        output.WriteLine($"check: {report.Summary}");
    }

    [RootFact]
    public void Kill_9_of_contiv_vpp_gives_the_NIC_back_and_the_restarted_contiv_init_steals_it_again()
    {
        Assert.True(fixture.StartError is null, fixture.StartError);
        const int n = 2;
        var ns = fixture.NodeNetns(n);
        var ip = NodeIp(n);
        Eventually(TimeSpan.FromSeconds(60), () => Stolen(ns) && Pid("contiv-vpp", ns) is not null, () => $"node{n}'s eth0 is not stolen or contiv-vpp does not run\n{Lab.Diagnostics()}");
        var vpp = Pid("contiv-vpp", ns)!.Value;
        var init = Pid("contiv-init", ns) ?? throw new InvalidOperationException($"contiv-init of node{n} does not run:\n{Lab.Diagnostics()}");

        var killed = Stopwatch.StartNew();
        Shell.Run("kill", ["-9", vpp.ToString(CultureInfo.InvariantCulture)]).EnsureSuccess("kill -9 contiv-vpp");

        // The host gets eth0 back, up, with its address and its default route (by contiv-init's release or by
        // contiv-stn's health check, whichever comes first): poll fast, contiv-init steals it again a moment later.
        string? returned = null;
        while (killed.Elapsed < TimeSpan.FromSeconds(35) && returned is null)
        {
            var addr = Ip($"-n {ns} -4 -o addr show dev eth0");
            var routes = Ip($"-n {ns} -4 route");
            if (addr.Contains($"{ip}/24", StringComparison.Ordinal) && routes.Contains($"default via {StnLabFixture.Gateway} dev eth0", StringComparison.Ordinal)
                && Ip($"-n {ns} -o link show dev eth0").Contains("state UP", StringComparison.Ordinal))
            {
                returned = addr.Trim() + "\n" + routes.Trim();
            }
            else
            {
                Thread.Sleep(50);
            }
        }

        var backAfter = killed.Elapsed;
        Assert.True(returned is not null, $"the host did not get eth0 back with {ip}/24 and its default route within 35 s of kill -9 of contiv-vpp:\n{Ip($"-n {ns} addr")}\n{Lab.Diagnostics()}");
        output.WriteLine($"eth0 back in the host {backAfter.TotalSeconds:F2} s after kill -9 of contiv-vpp (pid {vpp}):\n{returned}");

        // The lab's supervisor restarts contiv-init, which steals eth0 again and starts a new data plane.
        Eventually(TimeSpan.FromSeconds(60), () => Pid("contiv-init", ns) is { } p && p != init && Stolen(ns) && Pid("contiv-vpp", ns) is { } v && v != vpp,
            () => $"contiv-init was not restarted, or did not steal eth0 again:\n{Ip($"-n {ns} -4 addr")}\n{Lab.Diagnostics()}");
        var stolenAgain = killed.Elapsed;
        var status = Lab.Run("status").StdOut;
        Assert.Matches($@"node{n}.*restarts", status.Replace("\n", " ", StringComparison.Ordinal));

        // Pods reconnected, and the host is reachable from the underlay through the new data plane.
        var (code, report, raw) = CheckEventually(TimeSpan.FromSeconds(90));
        Assert.True(code == 0 && report.Passed, $"check failed after the restart: {report.Summary}\n{raw}\n{Lab.Diagnostics()}");
        var recovered = killed.Elapsed;
        Eventually(TimeSpan.FromSeconds(10), () => UnderlayPing(ip), () => $"ping {ip} from the underlay failed after the restart\n{Lab.Diagnostics()}");
        output.WriteLine($"stolen again by the restarted contiv-init after {stolenAgain.TotalSeconds:F1} s; every pod and host connected after {recovered.TotalSeconds:F1} s");
    }

    private static string NodeIp(int index) => $"192.168.16.{index}";

    private static string Ip(string args) => Shell.Run("ip " + args).StdOut;

    /// <summary>The NIC is stolen: no IPv4 address on eth0 any more.</summary>
    private static bool Stolen(string ns) => !Ip($"-n {ns} -4 -o addr show dev eth0").Contains(" inet ", StringComparison.Ordinal);

    private bool UnderlayPing(string ip)
        => Shell.Run("ip", ["netns", "exec", fixture.UnderlayNetns, "ping", "-c", "1", "-W", "1", ip], timeout: TimeSpan.FromSeconds(5)).ExitCode == 0;

    private string UnderlayTcp(string ip)
    {
        var script = $"import socket\ns = socket.create_connection(('{ip}', {HostServicePort}), timeout=2)\nprint(s.recv(100).decode().strip())";
        var r = Shell.Run("ip", ["netns", "exec", fixture.UnderlayNetns, "python3", "-c", script], timeout: TimeSpan.FromSeconds(10));
        return r.ExitCode == 0 ? r.StdOut.Trim() : r.StdErr.Trim();
    }

    /// <summary>A TCP service in a node's host namespace that answers every connection with <paramref name="greeting"/>.</summary>
    private static Process StartHostService(string ns, string greeting)
    {
        var script = $$"""
            import socket
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', {{HostServicePort}}))
            s.listen(16)
            while True:
                c, _ = s.accept()
                c.sendall(b'{{greeting}}\n')
                c.close()
            """;
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "python3", "-u", "-c", script })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        Thread.Sleep(300);
        return p;
    }

    /// <summary>Pid of the process whose executable is <paramref name="exe"/> and whose arguments name <c>--netns NS</c>.</summary>
    private static int? Pid(string exe, string ns)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue;
            }

            if (argv.Length > 2 && Path.GetFileName(argv[0]) == exe && argv.Zip(argv.Skip(1)).Any(p => p.First == "--netns" && p.Second == ns))
            {
                return pid;
            }
        }

        return null;
    }

    private (int ExitCode, CheckJson Report, string Raw) CheckEventually(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var result = Lab.Check();
            if ((result.ExitCode == 0 && result.Report.Passed) || DateTime.UtcNow > deadline)
            {
                return result;
            }

            Thread.Sleep(2000);
        }
    }

    private static void Stop(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static void Eventually(TimeSpan timeout, Func<bool> condition, Func<string> message)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message());
            Thread.Sleep(250);
        }
    }
}
