using System.Diagnostics;
using System.Net.Sockets;
using Contiv.Model.Vpp;
using Contiv.Testing;
using Grpc.Net.Client;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>
/// NAT44 in the real daemon with real pods: configured over the gRPC API as the agent does, checked
/// with TCP and UDP sockets in the pod namespaces (pod A = client on tap0, pod B = backend on tap1,
/// both VRF 1, both interfaces inside and outside like Contiv's pod TAPs).
/// </summary>
public sealed class NatDaemonTests
{
    private const string Vip = "10.96.0.10";

    // The backend: a TCP server answering each connection with the client address it saw, a UDP echo.
    private const string Server = """
import socket, threading
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 8080)); s.listen(64)
    while True:
        c, a = s.accept(); c.sendall(a[0].encode()); c.close()
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5353))
    while True:
        d, a = u.recvfrom(2048); u.sendto(d, a)
threading.Thread(target=tcp, daemon=True).start()
udp()
""";

    // The client: prints one word per check.
    private const string Client = """
import socket, sys, time
def tcp(host, port):
    s = socket.socket(); s.settimeout(3)
    t = time.time()
    try:
        s.connect((host, port)); peer = s.getpeername()[0]; data = s.recv(100).decode(); s.close()
        return "ok:%s:%s" % (peer, data)
    except ConnectionRefusedError:
        return "refused:%.2f" % (time.time() - t)
    except Exception as e:
        return "error:%s" % type(e).__name__
def udp(host, port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3); u.connect((host, port))
    try:
        u.send(b"ping"); d, a = u.recvfrom(100); return "ok:%s:%s" % (a[0], d.decode())
    except ConnectionRefusedError:
        return "refused"
    except Exception as e:
        return "error:%s" % type(e).__name__
print(tcp(sys.argv[1], 80), udp(sys.argv[1], 53), tcp(sys.argv[2], 80), udp(sys.argv[2], 53))
""";

    private static GrpcChannel Connect(string socket)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }

    private static Nat44StaticMapping Mapping(string ip, uint port, Nat44Protocol proto, params (string Ip, uint Port)[] locals)
    {
        var m = new Nat44StaticMapping { ExternalIp = ip, ExternalPort = port, Protocol = proto, Out2InOnly = true, TwiceNat = Nat44TwiceNat.Self, Tag = "default/web" };
        foreach (var (l, p) in locals)
        {
            m.Locals.Add(new Nat44LocalEndpoint { IpAddress = l, Port = p, VrfId = 1 });
        }

        return m;
    }

    [RootFact]
    public void Services_configured_over_the_api_dnat_pod_traffic_refuse_without_endpoints_and_dump_their_sessions()
    {
        using var t = new PodTopology();
        var dir = Directory.CreateTempSubdirectory("contiv-nat-test.").FullName;
        Process? server = null;
        try
        {
            File.WriteAllText(Path.Combine(dir, "server.py"), Server);
            File.WriteAllText(Path.Combine(dir, "client.py"), Client);
            using var channel = Connect(t.Vpp.ApiSocket);
            var client = new Api.Dataplane.DataplaneClient(channel);
            var batch = new ConfigBatch();
            batch.Ops.Add(new ConfigOp { Nat44Global = new Nat44Global { Forwarding = true } });
            batch.Ops.Add(new ConfigOp { Nat44Interface = new Nat44Interface { Interface = "tap0", Inside = true, Outside = true } });
            batch.Ops.Add(new ConfigOp { Nat44Interface = new Nat44Interface { Interface = "tap1", Inside = true, Outside = true } });
            batch.Ops.Add(new ConfigOp { Nat44Address = new Nat44Address { IpAddress = "10.1.0.254", TwiceNat = true, VrfId = uint.MaxValue } });
            batch.Ops.Add(new ConfigOp { Nat44StaticMapping = Mapping(Vip, 80, Nat44Protocol.Tcp, ("10.1.2.2", 8080)) });
            batch.Ops.Add(new ConfigOp { Nat44StaticMapping = Mapping(Vip, 53, Nat44Protocol.Udp, ("10.1.2.2", 5353)) });
            batch.Ops.Add(new ConfigOp { Nat44StaticMapping = Mapping("10.96.0.11", 80, Nat44Protocol.Tcp) });
            batch.Ops.Add(new ConfigOp { Nat44StaticMapping = Mapping("10.96.0.11", 53, Nat44Protocol.Udp) });
            batch.Ops.Add(new ConfigOp { Nat44IdentityMapping = new Nat44IdentityMapping { IpAddress = "10.1.1.1", AddrOnly = true, VrfId = 1 } });
            batch.Ops.Add(new ConfigOp { Nat44Interface = new Nat44Interface { Interface = "nope", Inside = true } });
            var reply = client.Apply(batch);
            Assert.All(reply.Results.Take(9), r => Assert.Equal(OpResult.Types.Status.Ok, r.Status));
            Assert.Equal(OpResult.Types.Status.NotFound, reply.Results[9].Status);

            var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", t.B, "python3", Path.Combine(dir, "server.py") })
            {
                psi.ArgumentList.Add(a);
            }

            server = ChildProcesses.Start(psi);
            Thread.Sleep(500);
            var r = NetnsScope.Exec(t.A, $"python3 {Path.Combine(dir, "client.py")} {Vip} 10.96.0.11", TimeSpan.FromSeconds(30));
            var words = r.StdOut.Trim().Split(' ');
            Assert.True(words.Length == 4, $"client output: {r.StdOut} {r.StdErr}");
            // The client talks to the VIP (replies un-DNATed), the backend sees the client's own address.
            Assert.Equal($"ok:{Vip}:10.1.1.2", words[0]);
            Assert.Equal($"ok:{Vip}:ping", words[1]);
            Assert.StartsWith("refused:", words[2], StringComparison.Ordinal);
            Assert.True(double.Parse(words[2]["refused:".Length..], System.Globalization.CultureInfo.InvariantCulture) < 1.0, words[2]);
            Assert.Equal("refused", words[3]);

            // Hairpin: the backend calls its own Service; self-twice-NAT sources it from the twice-NAT address.
            var hairpin = NetnsScope.Exec(t.B, $"python3 {Path.Combine(dir, "client.py")} {Vip} 10.96.0.11", TimeSpan.FromSeconds(30)).StdOut.Trim().Split(' ');
            Assert.Equal($"ok:{Vip}:10.1.0.254", hairpin[0]);
            Assert.Equal($"ok:{Vip}:ping", hairpin[1]);

            var errors = t.Vpp.Cli("show errors");
            Assert.Contains("no ready endpoint (refused)", errors, StringComparison.Ordinal);
            Assert.Contains("packets translated", errors, StringComparison.Ordinal);

            var sessions = client.DumpNat44Sessions(new Nat44SessionDumpRequest());
            Assert.Equal(2u, sessions.TcpSessions);
            Assert.Equal(2u, sessions.OtherSessions);
            var twice = Assert.Single(sessions.Sessions, s => s.Protocol == Nat44Protocol.Tcp && s.ExtHostNatIp.Length > 0);
            Assert.Equal(("10.1.2.2", "10.1.0.254"), (twice.ExtHostIp, twice.ExtHostNatIp));
            var tcp = Assert.Single(sessions.Sessions, s => s.Protocol == Nat44Protocol.Tcp && s.ExtHostNatIp.Length == 0);
            Assert.Equal(("10.1.2.2", 8080u, Vip, 80u, "10.1.1.2"), (tcp.InsideIp, tcp.InsidePort, tcp.OutsideIp, tcp.OutsidePort, tcp.ExtHostIp));
            Assert.Empty(client.DumpNat44Sessions(new Nat44SessionDumpRequest { MinIdleSeconds = 3600 }).Sessions);

            var dump = client.Dump(new DumpRequest { Kinds = { ObjectKind.Nat44 } });
            Assert.Equal(4, dump.Nat44StaticMappings.Count);
            Assert.Equal(2, dump.Nat44Interfaces.Count);
            Assert.Single(dump.Nat44Addresses);
            Assert.Single(dump.Nat44IdentityMappings);
            Assert.Contains(dump.Nat44StaticMappings, m => m.ExternalIp == Vip && m.ExternalPort == 80 && m.Locals.Count == 1 && m.Tag == "default/web");

            var del = client.DeleteNat44Sessions(new Nat44SessionDeleteRequest { Sessions = { tcp, tcp } });
            Assert.Equal((1u, 1u), (del.Deleted, del.NotFound));
            Assert.Equal(2u, client.DumpNat44Sessions(new Nat44SessionDumpRequest()).OtherSessions);
            Assert.Equal(1u, client.DumpNat44Sessions(new Nat44SessionDumpRequest()).TcpSessions);

            var delBatch = new ConfigBatch();
            delBatch.Ops.Add(new ConfigOp { Action = ConfigOp.Types.Action.Delete, Nat44StaticMapping = Mapping(Vip, 80, Nat44Protocol.Tcp) });
            delBatch.Ops.Add(new ConfigOp { Action = ConfigOp.Types.Action.Delete, Nat44StaticMapping = Mapping(Vip, 80, Nat44Protocol.Tcp) });
            var delReply = client.Apply(delBatch);
            Assert.Equal(OpResult.Types.Status.Ok, delReply.Results[0].Status);
            Assert.Equal(OpResult.Types.Status.NotFound, delReply.Results[1].Status);
            Assert.DoesNotContain($"{Vip}:80 ", t.Vpp.Cli("show nat44 static mappings"), StringComparison.Ordinal);
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit(5000);
            }

            server?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    // Client of the port-reuse test: per round, one source port connects to the first VIP and closes with
    // RST (SO_LINGER 0, no TIME_WAIT: the port is free at once, as in a connect-latency loop), then the
    // same port connects to the second VIP, then to the backend directly (no NAT). Prints the ports whose
    // connections failed.
    private const string ReuseClient = """
import socket, struct, sys
linger = struct.pack("ii", 1, 0)
def connect(host, port, dport=80):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger); s.settimeout(1)
    s.bind(("0.0.0.0", port))
    try:
        s.connect((host, dport)); s.recv(100); return True
    except OSError:
        return False
    finally:
        s.close()
failed = [p for p in range(41000, 41000 + int(sys.argv[3])) if not (connect(sys.argv[1], p) and connect(sys.argv[2], p) and connect(sys.argv[4], p, 8080))]
print("failed:" + ",".join(map(str, failed)))
""";

    [RootFact]
    public void A_client_port_reused_towards_another_service_or_the_backend_itself_connects()
    {
        using var t = new PodTopology();
        var dir = Directory.CreateTempSubdirectory("contiv-nat-test.").FullName;
        Process? server = null;
        try
        {
            File.WriteAllText(Path.Combine(dir, "server.py"), Server);
            File.WriteAllText(Path.Combine(dir, "client.py"), ReuseClient);
            using var channel = Connect(t.Vpp.ApiSocket);
            var client = new Api.Dataplane.DataplaneClient(channel);
            var batch = new ConfigBatch();
            batch.Ops.Add(new ConfigOp { Nat44Global = new Nat44Global { Forwarding = true } });
            batch.Ops.Add(new ConfigOp { Nat44Interface = new Nat44Interface { Interface = "tap0", Inside = true, Outside = true } });
            batch.Ops.Add(new ConfigOp { Nat44Interface = new Nat44Interface { Interface = "tap1", Inside = true, Outside = true } });
            batch.Ops.Add(new ConfigOp { Nat44StaticMapping = Mapping(Vip, 80, Nat44Protocol.Tcp, ("10.1.2.2", 8080)) });
            batch.Ops.Add(new ConfigOp { Nat44StaticMapping = Mapping("10.96.0.11", 80, Nat44Protocol.Tcp, ("10.1.2.2", 8080)) });
            Assert.All(client.Apply(batch).Results, r => Assert.Equal(OpResult.Types.Status.Ok, r.Status));

            var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", t.B, "python3", Path.Combine(dir, "server.py") })
            {
                psi.ArgumentList.Add(a);
            }

            server = ChildProcesses.Start(psi);
            Thread.Sleep(500);
            var r = NetnsScope.Exec(t.A, $"python3 {Path.Combine(dir, "client.py")} {Vip} 10.96.0.11 5 10.1.2.2", TimeSpan.FromSeconds(60));
            Assert.True(r.StdOut.Trim() == "failed:", $"client output: {r.StdOut} {r.StdErr}\n{t.Vpp.Cli("show errors")}");
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit(5000);
            }

            server?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
