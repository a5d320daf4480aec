using Contiv.Testing;

namespace Contiv.Cni.Tests;

/// <summary>
/// CHECK through the built binary against a real namespace shaped like a pod the agent wired
/// (eth0 with podIP/32, gateway on-link, default route). CHECK reads the namespace itself, so the
/// interface here is a veth end configured with ip(8), independent of the code under test. No agent
/// runs here: a namespace that matches prevResult makes CHECK go on to the agent and fail with 11.
/// </summary>
public sealed class CheckTests
{
    private const string MissingSocket = "/run/contiv-cni-test-no-such.sock";

    private static string Conf(string netnsPath, string version = "1.0.0", string? mac = null)
    {
        var macMember = mac is null ? string.Empty : $",\"mac\":\"{mac}\"";
        return NetConf.For(version, MissingSocket, extra: $$"""
            "prevResult":{"cniVersion":"{{version}}",
              "interfaces":[{"name":"eth0","sandbox":"{{netnsPath}}"{{macMember}}}],
              "ips":[{"address":"10.77.1.5/32","gateway":"10.77.1.1","interface":0}],
              "routes":[{"dst":"0.0.0.0/0","gw":"10.77.1.1"}]}
            """);
    }

    private static (NetnsScope Scope, string Ns, string Path, string Mac) Pod()
    {
        var scope = new NetnsScope();
        try
        {
            var ns = scope.Create("pod");
            var peer = scope.Create("vsw");
            scope.Veth("eth0", ns, "tap0", peer);
            Shell.Ip($"-n {ns} addr add 10.77.1.5/32 dev eth0");
            Shell.Ip($"-n {ns} route add 10.77.1.1/32 dev eth0 scope link");
            Shell.Ip($"-n {ns} route add default via 10.77.1.1 dev eth0");
            var mac = Shell.Run($"ip -n {ns} -br link show eth0").StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
            return (scope, ns, $"/run/netns/{ns}", mac);
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    [RootTheory]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    [InlineData("1.1.0")]
    public void Check_finds_the_namespace_right_and_then_needs_the_agent(string version)
    {
        // Interface, MAC, address and routes match, so CHECK goes on to ask the agent, which is not
        // running here (passing CHECKs against a real agent: EndToEnd/AgentEndToEndTests, AgentCheckTests).
        var (scope, _, path, mac) = Pod();
        using (scope)
        {
            CniRunner.Contiv("CHECK", Conf(path, version, mac), netns: path).Fails(11, "agent not reachable", MissingSocket);
        }
    }

    [RootFact]
    public void Check_fails_after_the_address_is_removed_by_hand()
    {
        var (scope, ns, path, _) = Pod();
        using (scope)
        {
            CniRunner.Contiv("CHECK", Conf(path), netns: path).Fails(11, "agent not reachable");

            Shell.Ip($"-n {ns} addr del 10.77.1.5/32 dev eth0");

            CniRunner.Contiv("CHECK", Conf(path), netns: path).Fails(104, "address 10.77.1.5/32 is missing on eth0");
        }
    }

    [RootFact]
    public void Check_fails_when_the_default_route_is_gone()
    {
        var (scope, ns, path, _) = Pod();
        using (scope)
        {
            Shell.Ip($"-n {ns} route del default");

            CniRunner.Contiv("CHECK", Conf(path), netns: path).Fails(104, "route 0.0.0.0/0 via 10.77.1.1 is missing");
        }
    }

    [RootFact]
    public void Check_fails_when_the_interface_is_down_or_gone()
    {
        var (scope, ns, path, _) = Pod();
        using (scope)
        {
            Shell.Ip($"-n {ns} link set eth0 down");
            CniRunner.Contiv("CHECK", Conf(path), netns: path).Fails(104, "eth0", "down");

            Shell.Ip($"-n {ns} link del eth0");
            CniRunner.Contiv("CHECK", Conf(path), netns: path).Fails(104, "interface eth0 does not exist");
        }
    }

    [RootFact]
    public void Check_fails_when_the_mac_differs()
    {
        var (scope, _, path, _) = Pod();
        using (scope)
        {
            CniRunner.Contiv("CHECK", Conf(path, mac: "02:fe:00:00:00:01"), netns: path).Fails(104, "02:fe:00:00:00:01");
        }
    }

    [RootFact]
    public void Check_without_prevResult_is_an_invalid_config()
    {
        var (scope, _, path, _) = Pod();
        using (scope)
        {
            CniRunner.Contiv("CHECK", NetConf.For("1.0.0", MissingSocket), netns: path).Fails(7, "prevResult");
        }
    }

    [Fact]
    public void Check_of_a_vanished_netns_is_unknown_container()
        => CniRunner.Contiv("CHECK", Conf("/run/netns/contiv-cni-test-gone"), netns: "/run/netns/contiv-cni-test-gone").Fails(3, "CNI_NETNS");

    [RootFact]
    public void Check_forwards_to_the_ipam_plugin()
    {
        // host-local has no reservation for this container: its CHECK must fail, and so must ours.
        var (scope, _, path, _) = Pod();
        using var dir = new TempDir();
        using (scope)
        {
            var conf = Conf(path).Replace("\"prevResult\"",
                $"\"ipam\":{{\"type\":\"host-local\",\"dataDir\":\"{dir["ipam"]}\",\"ranges\":[[{{\"subnet\":\"10.77.1.0/24\"}}]]}},\"prevResult\"",
                StringComparison.Ordinal);

            var r = CniRunner.Contiv("CHECK", conf, netns: path);

            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("host-local", r.Msg, StringComparison.Ordinal);
        }
    }
}
