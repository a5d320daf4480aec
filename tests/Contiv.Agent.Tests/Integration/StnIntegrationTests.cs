using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Contiv.Model.Stn;
using Contiv.Model.Vpp;
using Contiv.Testing;
using Grpc.Net.Client;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// The agent in STN mode end to end, with real processes in real namespaces: a node whose only link `eth0`
/// (192.168.16.5/24, default route via 192.168.16.254, an on-link route, a route via a gateway) is a veth into
/// an underlay namespace. contiv-stn (published) steals it as contiv-init would, then contiv-vpp and the agent
/// start with `stealInterface: eth0`. The host must stay reachable on its node IP from the underlay (ping and a
/// TCP service in the host namespace) and reach the underlay itself, all through the data plane.
/// </summary>
[Collection("integration")]
public sealed class StnIntegrationTests : IAsyncLifetime
{
    private const string NodeIp = "192.168.16.5";
    private const string Gateway = "192.168.16.254";

    private readonly NetnsScope _ns = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("ct-agent-stn-").FullName;
    private EtcdServer? _etcd;
    private Process? _stn;
    private VswitchNode? _node;
    private string _host = string.Empty;
    private string _underlay = string.Empty;

    private string StnSocket => Path.Combine(_dir, "stn.sock");

    public Task InitializeAsync() => Fixtures.StartOrCleanUpAsync(StartAsync, DisposeAsync);

    private async Task StartAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        _host = _ns.Create("stnh");
        _underlay = _ns.Create("stnu");
        _ns.Veth("eth0", _host, "ul0", _underlay);
        Shell.Ip($"-n {_underlay} addr add {Gateway}/24 dev ul0");
        Shell.Ip($"-n {_underlay} link set ul0 up");
        Shell.Ip($"-n {_host} addr add {NodeIp}/24 dev eth0");
        Shell.Ip($"-n {_host} link set eth0 up");
        Shell.Ip($"-n {_host} link set lo up");
        Shell.Ip($"-n {_host} route add default via {Gateway} dev eth0");
        Shell.Ip($"-n {_host} route add 10.99.0.0/16 via {Gateway} dev eth0 metric 50");
        Shell.Ip($"-n {_host} route add 172.16.5.0/24 dev eth0 scope link");
        Assert.True(NetnsScope.Ping(_underlay, NodeIp), "the node is not reachable before the steal");

        // contiv-stn steals eth0 (its health check far away: this test is about the agent, not the revert).
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-stn")) { UseShellExecute = false };
        foreach (var a in new[] { "--socket", StnSocket, "--netns", _host, "--state-file", Path.Combine(_dir, "stn-state.json"), "--health-check-delay", "600" })
        {
            psi.ArgumentList.Add(a);
        }

        _stn = ChildProcesses.Start(psi);
        using (var channel = UnixChannel(StnSocket))
        {
            var stn = new STN.STNClient(channel);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try
                {
                    await stn.StealInterfaceAsync(new STNRequest { InterfaceName = "eth0" }, deadline: DateTime.UtcNow.AddSeconds(10));
                    break;
                }
                catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }
        }

        Assert.DoesNotContain("inet ", Shell.Ip($"-n {_host} addr show dev eth0"), StringComparison.Ordinal);

        _etcd = await EtcdServer.StartAsync();
        _node = new VswitchNode("node1", _host, _etcd.ClientUrl, $"stealInterface: eth0\nstnSocketFile: {StnSocket}\n");
        _node.StartVpp();
        _node.StartAgent();
        await _node.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_stn is { HasExited: false })
        {
            _stn.Kill();
            await _stn.WaitForExitAsync();
        }

        _ns.Dispose();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [RootFact]
    public void The_host_keeps_its_node_ip_on_vpp1_with_its_routes_through_it()
    {
        var addr = Shell.Ip($"-n {_host} addr show dev vpp1");
        Assert.Contains($"inet {NodeIp}/24", addr, StringComparison.Ordinal);
        Assert.Contains("link/ether 00:00:00:00:00:02", addr, StringComparison.Ordinal);
        var routes = Shell.Ip($"-n {_host} route show");
        Assert.Contains($"default via {Gateway} dev vpp1", routes, StringComparison.Ordinal);
        Assert.Contains($"10.99.0.0/16 via {Gateway} dev vpp1", routes, StringComparison.Ordinal);
        Assert.Matches(@"172\.16\.5\.0/24 dev vpp1 .*scope link", routes);
        Assert.Contains($"10.1.0.0/16 via {Gateway} dev vpp1", routes, StringComparison.Ordinal);

        var dump = _node!.Dump();
        var nic = dump.Interfaces.Single(i => i.Name == "eth0");
        Assert.Equal((InterfaceType.AfPacket, $"{NodeIp}/24"), (nic.Type, nic.IpAddresses.Single()));
        Assert.Equal("eth0", dump.Interfaces.Single(i => i.Name == "tap-vpp2").UnnumberedTo);
        var rule = Assert.Single(dump.StnRules);
        Assert.Equal((NodeIp, "tap-vpp2"), (rule.IpAddress, rule.Interface));
        Assert.Contains(dump.Routes, r => r is { VrfId: 0, DstNetwork: "0.0.0.0/0", NextHopAddr: Gateway, OutInterface: "eth0" });
    }

    [RootFact]
    public void The_underlay_pings_the_host_on_the_node_ip_through_the_data_plane()
    {
        var before = PuntedToHost();
        var ping = NetnsScope.Exec(_underlay, $"ping -c 3 -i 0.2 -W 2 {NodeIp}");
        Assert.True(ping.ExitCode == 0, $"no reply from {NodeIp}: {ping.StdOut}; agent log:\n{_node!.Tail(_node.AgentLog)}");

        // Once, from the host only: the kernel must not answer on the stolen link as well.
        Assert.DoesNotContain("DUP!", ping.StdOut, StringComparison.Ordinal);
        Assert.True(PuntedToHost() >= before + 3, "the echo requests did not go through the STN rule");
    }

    [RootFact]
    public void A_tcp_service_of_the_host_answers_on_the_node_ip_and_the_host_reaches_the_underlay()
    {
        // A one-shot TCP server in the host namespace on the node IP; the underlay connects and reads its greeting.
        using var server = ChildProcesses.Start(Python(_host, $"import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('{NodeIp}',7070));s.listen();c,_=s.accept();c.sendall(b'hello from the host');c.close()"));
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            CommandResult r;
            do
            {
                r = Shell.Run("ip", ["netns", "exec", _underlay, "python3", "-c", $"import socket;s=socket.create_connection(('{NodeIp}',7070),timeout=3);print(s.recv(100).decode())"], timeout: TimeSpan.FromSeconds(10));
            }
            while (r.ExitCode != 0 && DateTime.UtcNow < deadline);
            Assert.True(r.StdOut.Trim() == "hello from the host", $"TCP to the host failed: {r.StdErr}\nserver exited: {server.HasExited}\nerrors:\n{Cli("show errors")}\ninterfaces:\n{Cli("show interface")}\nhost: {Shell.Run($"ip netns exec {_host} ss -tan").StdOut}");
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
        }

        Assert.True(NetnsScope.Ping(_host, Gateway, count: 2), "the host cannot reach its gateway through vpp1");
        var neighbours = Shell.Ip($"-n {_host} neigh show dev vpp1");
        Assert.Contains(Gateway, neighbours, StringComparison.Ordinal);
    }

    private string Cli(string command) => _node!.Dataplane.Client.Cli(new CliRequest { Command = command }, _node.Dataplane.Options()).Output;

    private long PuntedToHost()
    {
        var errors = Cli("show errors");
        foreach (var line in errors.Split('\n'))
        {
            if (line.Contains("stn-ip4-punt", StringComparison.Ordinal) && line.Contains("punted to the host", StringComparison.Ordinal))
            {
                return long.Parse(line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static ProcessStartInfo Python(string ns, string code)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "python3", "-c", code })
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    private static GrpcChannel UnixChannel(string path) => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        },
    });
}
