using System.Diagnostics;
using Contiv.Model.Stn;
using Contiv.Testing;

namespace Contiv.Stn.Tests;

/// <summary>SPEC §1.8 health check on the data plane's host interface vpp1.</summary>
public sealed class HealthCheckTests
{
    private const double HealthDelay = 1.5;

    [RootFact]
    public void Vpp1_going_down_after_the_health_check_started_gives_the_NIC_back()
    {
        using var node = new HostNic();
        var vswitch = node.Scope.Create("vsw");
        node.Scope.Veth("vpp1", node.Host, "vpp2", vswitch);
        using var stn = new StnDaemon(node.Host, HealthDelay);
        var before = node.Dump();
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });

        Thread.Sleep(TimeSpan.FromSeconds(HealthDelay + 1.5));
        Assert.Empty(node.Eth0Config()); // vpp1 exists and is up: the NIC stays stolen
        Shell.Ip($"-n {vswitch} link set vpp2 down"); // vpp1 loses its carrier: oper-down
        var watch = Stopwatch.StartNew();
        HostNic.WaitFor(() => node.Dump() == before, TimeSpan.FromSeconds(10), "eth0 restored after vpp1 went down\n" + stn.Output);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"revert took {watch.Elapsed}");
        Assert.Throws<Grpc.Core.RpcException>(() => stn.Client.StolenInterfaceInfo(new STNRequest { InterfaceName = HostNic.Nic }));
    }

    [RootFact]
    public void Without_vpp1_when_the_health_check_starts_the_NIC_goes_back()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host, HealthDelay);
        var before = node.Dump();
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
        Assert.Empty(node.Eth0Config());

        HostNic.WaitFor(() => node.Dump() == before, TimeSpan.FromSeconds(HealthDelay + 8), "eth0 restored when vpp1 is missing\n" + stn.Output);
    }

    /// <summary>
    /// A data plane restarted within the delay (contiv-init released the NIC and stole it again, as after
    /// <c>contiv-lab node restart</c>) gets the whole delay again to create vpp1: the check does not judge the new
    /// data plane by the first steal's clock.
    /// </summary>
    [RootFact]
    public void A_steal_after_a_release_starts_the_delay_again()
    {
        const double delay = 3;
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host, delay);
        var before = node.Eth0Config(); // vpp1, made later, has routes of its own
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
        Thread.Sleep(TimeSpan.FromSeconds(2));
        stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic });
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });

        // 3.5 s after the first steal, 1.5 s after the second, still without vpp1: still stolen.
        Thread.Sleep(TimeSpan.FromSeconds(1.5));
        Assert.Empty(node.Eth0Config());

        // The new data plane's vpp1 appears in time: the check watches it, and its loss gives the NIC back.
        var vswitch = node.Scope.Create("vsw");
        node.Scope.Veth("vpp1", node.Host, "vpp2", vswitch);
        Thread.Sleep(TimeSpan.FromSeconds(delay));
        Assert.Empty(node.Eth0Config());
        Shell.Ip($"-n {vswitch} link set vpp2 down");
        HostNic.WaitFor(() => node.Eth0Config().SequenceEqual(before), TimeSpan.FromSeconds(10), "eth0 restored after vpp1 went down\n" + stn.Output);
    }

    [RootFact]
    public void Killing_the_data_plane_that_owns_vpp1_gives_the_NIC_back_within_the_window()
    {
        using var node = new HostNic();
        var dir = Directory.CreateTempSubdirectory("ct-stn-vpp-").FullName;
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-vpp")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            "--netns", node.Host, "--api-socket", Path.Combine(dir, "api.sock"), "--cli-socket", Path.Combine(dir, "cli.sock"),
            "--exec", "create tap id 0 host-if-name vpp1",
        })
        {
            psi.ArgumentList.Add(a);
        }

        using var vpp = ChildProcesses.Start(psi);
        try
        {
            HostNic.WaitFor(() => Shell.Run($"ip -n {node.Host} link show vpp1").ExitCode == 0, TimeSpan.FromSeconds(30), "vpp1 created by contiv-vpp");
            Shell.Ip($"-n {node.Host} link set vpp1 up");
            using var stn = new StnDaemon(node.Host, HealthDelay);
            // vpp1's own routes (fe80::/64 dev vpp1) go with it: compare what belongs to eth0.
            var before = node.Eth0Config();
            stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
            Thread.Sleep(TimeSpan.FromSeconds(HealthDelay + 1.5));
            Assert.Empty(node.Eth0Config());

            vpp.Kill();
            var watch = Stopwatch.StartNew();
            HostNic.WaitFor(() => node.Eth0Config().SequenceEqual(before), TimeSpan.FromSeconds(10), "eth0 restored after contiv-vpp was killed\n" + stn.Output);

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"revert took {watch.Elapsed}");
        }
        finally
        {
            if (!vpp.HasExited)
            {
                vpp.Kill();
            }

            vpp.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }
}
