using Contiv.Testing;

namespace Contiv.Vpp.Tests;

/// <summary>
/// A node namespace running contiv-vpp (its --netns) and pod namespaces attached to it:
/// pod A (tap0, 10.1.1.2/24 gw .1) and pod B (tap1, 10.1.2.2/24 gw .1) in VRF 1; optionally pod C
/// on a veth whose node end is an AF_PACKET host-interface (10.1.3.2/24 gw .1). IPv6 is disabled in
/// the pods so counters only see what the tests send.
/// </summary>
internal sealed class PodTopology : IDisposable
{
    private readonly NetnsScope _scope = new();

    public PodTopology(bool withAfPacketPod = false, params string[] vppArgs)
    {
        try
        {
            Node = _scope.Create("node");
            A = CreatePod("a");
            B = CreatePod("b");
            Vpp = new VppProcess(Node, vppArgs);
            Vpp.Cli("ip table add 1");
            Vpp.Cli($"create tap id 0 host-if-name eth0 host-ns {A} host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1");
            Vpp.Cli($"create tap id 1 host-if-name eth0 host-ns {B} host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1");
            Wire("tap0", "10.1.1.1/24");
            Wire("tap1", "10.1.2.1/24");
            if (withAfPacketPod)
            {
                C = CreatePod("c");
                _scope.Veth("vethc", Node, "eth0", C);
                Shell.Ip($"-n {C} addr add 10.1.3.2/24 dev eth0");
                Shell.Ip($"-n {C} route add default via 10.1.3.1");
                Vpp.Cli("create host-interface name vethc");
                Wire("host-vethc", "10.1.3.1/24");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Node { get; } = string.Empty;

    public string A { get; } = string.Empty;

    public string B { get; } = string.Empty;

    public string? C { get; }

    public VppProcess Vpp { get; } = null!;

    private string CreatePod(string name)
    {
        var ns = _scope.Create(name);
        Shell.Run($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1").EnsureSuccess("disable ipv6");
        Shell.Run($"ip netns exec {ns} sysctl -qw net.ipv6.conf.default.disable_ipv6=1").EnsureSuccess("disable ipv6");
        return ns;
    }

    private void Wire(string intf, string address)
    {
        Vpp.Cli($"set interface ip table {intf} 1");
        Vpp.Cli($"set interface ip address {intf} {address}");
        Vpp.Cli($"set interface state {intf} up");
    }

    public void Dispose()
    {
        Vpp?.Dispose();
        _scope.Dispose();
    }
}
