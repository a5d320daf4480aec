using Contiv.Model.Stn;
using Contiv.Testing;
using Grpc.Core;

namespace Contiv.Stn.Tests;

/// <summary>StealInterface / StolenInterfaceInfo / ReleaseInterface on a real veth in a test namespace.</summary>
public sealed class StealReleaseTests
{
    [RootFact]
    public void Release_restores_exactly_the_addresses_and_routes_of_both_families_that_were_there()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();
        Assert.Contains("addr inet6 fd00:16::5/64 scope global nodad", before, StringComparison.Ordinal);
        Assert.Contains("route -4 unicast default via 192.168.16.1 dev eth0", before, StringComparison.Ordinal);
        Assert.Contains("route -6 unicast fd00:99::/48 via fd00:16::fe dev eth0", before, StringComparison.Ordinal);

        var reply = stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });

        Assert.Equal(0u, reply.Result);
        Assert.Equal("veth", reply.KernelDriver);
        Assert.Equal(string.Empty, reply.PciAddress);
        Assert.Contains("192.168.16.5/24", reply.IpAddresses);
        Assert.Contains("10.20.0.5/16", reply.IpAddresses);
        Assert.Contains("fd00:16::5/64", reply.IpAddresses);
        Assert.Contains(reply.Routes, r => r.DestinationSubnet == "0.0.0.0/0" && r.NextHopIp == "192.168.16.1");
        Assert.Contains(reply.Routes, r => r.DestinationSubnet == "::/0" && r.NextHopIp == "fd00:16::1");
        Assert.Contains(reply.Routes, r => r.DestinationSubnet == "172.16.5.0/24" && r.NextHopIp.Length == 0);
        // Stolen: down, no address, no route through it.
        Assert.False(node.IsUp());
        Assert.Empty(node.Eth0Config());

        stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic });

        Assert.True(node.IsUp());
        Assert.Equal(before, node.Dump());
        Assert.True(NetnsScope.Ping(node.Host, "192.168.16.1"), "the host reaches the underlay again after the release");
    }

    [RootFact]
    public void What_is_removed_right_after_a_release_is_repaired()
    {
        using var node = new HostNic();
        // The repair loop stops at its first check that finds the link consistent, so the damage below must land
        // before that check: with 0.5 s, two `ip` commands under a loaded CI machine came too late (the check saw a
        // consistent link and nothing was ever repaired).
        using var stn = new StnDaemon(node.Host, repairIntervalSeconds: 3);
        var before = node.Dump();
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
        stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic });

        // Something on the host (a network manager reacting to the link coming up) undoes part of the revert.
        Shell.Ip($"-n {node.Host} route del 10.99.0.0/16 via 192.168.16.254 dev eth0 metric 50");
        Shell.Ip($"-n {node.Host} addr del 10.20.0.5/16 dev eth0");
        Assert.NotEqual(before, node.Dump());

        HostNic.WaitFor(() => node.Dump() == before, TimeSpan.FromSeconds(10), "route and address repaired\n" + stn.Output);
        Assert.Contains("repairing", stn.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_second_steal_and_the_info_return_the_data_saved_by_the_first()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var first = stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });

        var second = stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });
        var info = stn.Client.StolenInterfaceInfo(new STNRequest { InterfaceName = HostNic.Nic });
        var any = stn.Client.StolenInterfaceInfo(new STNRequest());

        Assert.Contains("192.168.16.5/24", first.IpAddresses);
        Assert.Equal(first, second);
        Assert.Equal(first, info);
        Assert.Equal(first, any);
        stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic });
    }

    [RootFact]
    public void Release_of_an_unknown_or_never_stolen_interface_is_NotFound_and_changes_nothing()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();

        var unknown = Assert.Throws<RpcException>(() => stn.Client.ReleaseInterface(new STNRequest { InterfaceName = "nosuch0" }));
        var notStolen = Assert.Throws<RpcException>(() => stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic }));
        var stealUnknown = Assert.Throws<RpcException>(() => stn.Client.StealInterface(new STNRequest { InterfaceName = "nosuch0" }));
        var infoNone = Assert.Throws<RpcException>(() => stn.Client.StolenInterfaceInfo(new STNRequest()));
        var empty = Assert.Throws<RpcException>(() => stn.Client.StealInterface(new STNRequest()));

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("interface 'nosuch0' is not stolen", unknown.Status.Detail);
        Assert.Equal(StatusCode.NotFound, notStolen.StatusCode);
        Assert.Equal("interface 'eth0' is not stolen", notStolen.Status.Detail);
        Assert.Equal(StatusCode.NotFound, stealUnknown.StatusCode);
        Assert.StartsWith("interface 'nosuch0' does not exist in", stealUnknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, infoNone.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal(before, node.Dump());
        Assert.True(node.IsUp());
        Assert.False(stn.Process.HasExited);
    }

    [RootFact]
    public async Task The_status_endpoints_list_the_stolen_interfaces()
    {
        using var node = new HostNic();
        var port = FreePort();
        using var stn = new StnDaemon(node.Host, 30, null, 0.5, "--http", $"127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var idle = await http.GetStringAsync(new Uri("/readiness", UriKind.Relative));
        stn.Client.StealInterface(new STNRequest { InterfaceName = HostNic.Nic });

        var stolen = await http.GetStringAsync(new Uri("/liveness", UriKind.Relative));
        var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal("{\"stolenInterfaces\":[]}", idle);
        Assert.Equal("{\"stolenInterfaces\":[\"eth0\"]}", stolen);
        Assert.True(metrics.IsSuccessStatusCode);
        stn.Client.ReleaseInterface(new STNRequest { InterfaceName = HostNic.Nic });
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_socket_is_owner_only()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stn.Socket));
    }
}
