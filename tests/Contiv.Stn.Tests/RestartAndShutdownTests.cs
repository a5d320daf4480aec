using Contiv.Model.Stn;
using Contiv.Testing;

namespace Contiv.Stn.Tests;

/// <summary>The state survives contiv-stn itself; SIGTERM gives everything back.</summary>
public sealed class RestartAndShutdownTests
{
    [RootFact]
    public void Contiv_stn_killed_with_SIGKILL_and_restarted_still_gives_the_NIC_back()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();
        var stolen = stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });

        stn.Kill();
        stn.Process.WaitForExit();
        Assert.Empty(node.Eth0Config()); // nobody reverted: the process had no chance
        stn.Start();
        var info = stn.Client.StolenInterfaceInfo(new STNRequest { InterfaceName = HostNic.Nic });
        stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic });

        Assert.Equal(stolen, info);
        Assert.Equal(before, node.Dump());
        Assert.Equal("[]", File.ReadAllText(stn.StateFile).Trim());
    }

    [RootFact]
    public void A_restarted_contiv_stn_runs_the_health_check_for_NICs_stolen_by_its_predecessor()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host, healthDelaySeconds: 1.5);
        var before = node.Dump();
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
        stn.Kill(); // before its own health check could run
        stn.Process.WaitForExit();
        Assert.Empty(node.Eth0Config());

        stn.Start(); // no vpp1 in the namespace: the restarted daemon's health check gives eth0 back

        HostNic.WaitFor(() => node.Dump() == before, TimeSpan.FromSeconds(10), "eth0 restored by the restarted contiv-stn\n" + stn.Output);
        Assert.Contains("stolen by an earlier run", stn.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public void SIGTERM_gives_every_stolen_NIC_back_and_exits_0()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
        Assert.Empty(node.Eth0Config());

        var exit = stn.Terminate();

        Assert.Equal(0, exit);
        Assert.Equal(before, node.Dump());
        Assert.False(File.Exists(stn.Socket));
    }
}
