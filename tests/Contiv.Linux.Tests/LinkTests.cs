using System.Diagnostics;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class LinkTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public void Mtu_mac_rename_up_and_down_are_applied_and_ip_agrees()
    {
        var name = _scope.Create("link");
        using var ns = NetworkNamespace.Open(name);
        using var nl = RtNetlink.Open(ns);
        nl.CreateVeth("x0", "x1");
        var x0 = nl.GetLinkIndex("x0");

        nl.SetMtu(x0, 1400);
        nl.SetMacAddress(x0, LinkAddress.Parse("02:aa:bb:cc:dd:ee"));
        nl.RenameLink(x0, "renamed0");
        nl.SetLinkUp(x0);
        nl.SetLinkUp("x1");

        var link = nl.GetLink(x0);
        Assert.Equal("renamed0", link.Name);
        Assert.Equal(1400, link.Mtu);
        Assert.Equal("02:aa:bb:cc:dd:ee", LinkAddress.Format(link.MacAddress!));
        Assert.True(link.IsUp);
        var json = Assert.Single(IpJson.Query(name, "link show dev renamed0"));
        Assert.Equal(1400, json.Int("mtu"));
        Assert.Equal("02:aa:bb:cc:dd:ee", json.Str("address"));
        Assert.Equal("UP", json.Str("operstate"));
        Assert.Equal(OperState.Up, WaitFor(() => nl.GetLink(x0), l => l.OperState == OperState.Up).OperState);

        nl.SetLinkDown("x1");
        var afterPeerDown = WaitFor(() => nl.GetLink(x0), l => l.OperState == OperState.LowerLayerDown);
        Assert.False(afterPeerDown.HasCarrier);
        nl.SetLinkDown(x0);
        Assert.False(nl.GetLink(x0).IsUp);
        Assert.Equal("DOWN", Assert.Single(IpJson.Query(name, "link show dev renamed0")).Str("operstate"));

        nl.DeleteLink(x0);
        Assert.Null(nl.FindLink("renamed0"));
        Assert.Null(nl.FindLink("x1")); // the peer goes with it
    }

    [RootFact]
    public void Move_by_namespace_fd_and_by_pid_with_rename()
    {
        var aName = _scope.Create("mva");
        var bName = _scope.Create("mvb");
        var cName = _scope.Create("mvc");
        using var a = NetworkNamespace.Open(aName);
        using var b = NetworkNamespace.Open(bName);
        using var nl = RtNetlink.Open(a);
        nl.CreateVeth("m0", "m1");

        nl.MoveLink(nl.GetLinkIndex("m0"), b, "moved0");
        Assert.Null(nl.FindLink("m0"));
        using (var nlb = RtNetlink.Open(b))
        {
            Assert.Equal("veth", nlb.GetLink("moved0").Kind);
        }

        Assert.Single(IpJson.Query(bName, "link show dev moved0"));

        // By pid: a process living in namespace c.
        using var sleeper = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", cName, "sleep", "30"]))!;
        try
        {
            using var procNs = WaitFor(() => NetworkNamespace.OpenProcess(sleeper.Id), n =>
            {
                using var c = NetworkNamespace.Open(cName);
                return n.Id == c.Id;
            });
            nl.MoveLinkToProcess(nl.GetLinkIndex("m1"), sleeper.Id, "bypid0");
            Assert.Null(nl.FindLink("m1"));
            Assert.Single(IpJson.Query(cName, "link show dev bypid0"));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [RootFact]
    public void Loopback_and_statistics_are_reported()
    {
        using var ns = NetworkNamespace.Open(_scope.Create("lo"));
        using var nl = RtNetlink.Open(ns);
        var lo = Assert.Single(nl.GetLinks());
        Assert.Equal("lo", lo.Name);
        Assert.Equal(1, lo.Index);
        Assert.True((lo.Flags & LinkFlags.Loopback) != 0);
        Assert.Equal(772, lo.DeviceType);
        Assert.NotNull(lo.Statistics);
    }

    private static T WaitFor<T>(Func<T> get, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var value = get();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            if (value is IDisposable d)
            {
                d.Dispose();
            }

            Thread.Sleep(20);
        }
    }
}
