using System.Diagnostics;
using System.Net.Sockets;
using Contiv.Model.Vpp;
using Contiv.Testing;
using Grpc.Net.Client;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>
/// ACLs in the real daemon with real pods, configured over the gRPC API as the agent's policy renderer
/// does: pod A (tap0) may open connections (reflect on its TAP's input, deny-all on its output), pod B
/// (tap1) accepts TCP 8080 from A only (on its TAP's output). Checked with TCP sockets in the pods.
/// </summary>
public sealed class AclDaemonTests
{
    // B: TCP servers on 8080 and 8081 that answer "hi"; A: the same on 9090 (to try B → A).
    private const string Server = """
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, a = s.accept(); c.sendall(b"hi"); c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
""";

    private const string Client = """
import socket, sys
def tcp(host, port):
    s = socket.socket(); s.settimeout(1.5)
    try:
        s.connect((host, port)); d = s.recv(10).decode(); s.close(); return "ok:" + d
    except Exception as e:
        return "error:" + type(e).__name__
print(" ".join(tcp(sys.argv[1], int(p)) for p in sys.argv[2:]))
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

    private static Process StartServer(string ns, string script, params string[] ports)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns, "python3", script }.Concat(ports))
        {
            psi.ArgumentList.Add(a);
        }

        return ChildProcesses.Start(psi);
    }

    [RootFact]
    public void A_policy_applied_over_the_api_lets_the_allowed_connection_and_its_replies_through_and_nothing_else()
    {
        using var t = new PodTopology();
        var dir = Directory.CreateTempSubdirectory("contiv-acl-test.").FullName;
        var servers = new List<Process>();
        try
        {
            File.WriteAllText(Path.Combine(dir, "server.py"), Server);
            File.WriteAllText(Path.Combine(dir, "client.py"), Client);
            using var channel = Connect(t.Vpp.ApiSocket);
            var client = new Api.Dataplane.DataplaneClient(channel);
            var batch = new ConfigBatch();
            batch.Ops.Add(new ConfigOp { Acl = new Api.Acl { Name = "pod-a-reflect", Rules = { new Api.AclRule { Action = AclAction.Reflect, SourceNetwork = "10.1.1.2/32" } }, IngressInterfaces = { "tap0" } } });
            batch.Ops.Add(new ConfigOp { Acl = new Api.Acl { Name = "pod-a-ingress", Rules = { new Api.AclRule { Action = AclAction.Deny } }, EgressInterfaces = { "tap0" } } });
            batch.Ops.Add(new ConfigOp
            {
                Acl = new Api.Acl
                {
                    Name = "pod-b-ingress",
                    Rules = { new Api.AclRule { Action = AclAction.Permit, SourceNetwork = "10.1.1.2/32", Protocol = 6, DstPortLower = 8080 } },
                    EgressInterfaces = { "tap1" },
                },
            });
            batch.Ops.Add(new ConfigOp { Acl = new Api.Acl { Name = "bad", IngressInterfaces = { "tap7" } } });
            var reply = client.Apply(batch);
            Assert.All(reply.Results.Take(3), r => Assert.Equal(OpResult.Types.Status.Ok, r.Status));
            Assert.Equal((OpResult.Types.Status.NotFound, "ACL 'bad' ingress: unknown interface 'tap7'"), (reply.Results[3].Status, reply.Results[3].Error));

            servers.Add(StartServer(t.B, Path.Combine(dir, "server.py"), "8080", "8081"));
            servers.Add(StartServer(t.A, Path.Combine(dir, "server.py"), "9090"));
            Thread.Sleep(500);
            var fromA = NetnsScope.Exec(t.A, $"python3 {Path.Combine(dir, "client.py")} 10.1.2.2 8080 8081", TimeSpan.FromSeconds(20)).StdOut.Trim();
            Assert.Equal("ok:hi error:TimeoutError", fromA);
            var fromB = NetnsScope.Exec(t.B, $"python3 {Path.Combine(dir, "client.py")} 10.1.1.2 9090", TimeSpan.FromSeconds(20)).StdOut.Trim();
            Assert.Equal("error:TimeoutError", fromB);

            var errors = t.Vpp.Cli("show errors");
            Assert.Contains("existing session packets", errors, StringComparison.Ordinal);
            Assert.Contains("ACL deny packets", errors, StringComparison.Ordinal);
            Assert.Contains("tag {pod-b-ingress}", t.Vpp.Cli("show acl-plugin acl"), StringComparison.Ordinal);

            var dump = client.Dump(new DumpRequest { Kinds = { ObjectKind.Acls } });
            Assert.Equal(["pod-a-reflect", "pod-a-ingress", "pod-b-ingress"], dump.Acls.Select(a => a.Name));
            Assert.Equal(["tap1"], dump.Acls[2].EgressInterfaces);
            Assert.Equal(8080u, dump.Acls[2].Rules[0].DstPortUpper);

            // Without B's ACL, 8081 is reachable; deleting twice answers NOT_FOUND.
            var del = client.Apply(new ConfigBatch
            {
                Ops =
                {
                    new ConfigOp { Action = ConfigOp.Types.Action.Delete, Acl = new Api.Acl { Name = "pod-b-ingress" } },
                    new ConfigOp { Action = ConfigOp.Types.Action.Delete, Acl = new Api.Acl { Name = "pod-b-ingress" } },
                },
            });
            Assert.Equal([OpResult.Types.Status.Ok, OpResult.Types.Status.NotFound], del.Results.Select(r => r.Status));
            fromA = NetnsScope.Exec(t.A, $"python3 {Path.Combine(dir, "client.py")} 10.1.2.2 8081", TimeSpan.FromSeconds(20)).StdOut.Trim();
            Assert.Equal("ok:hi", fromA);
        }
        finally
        {
            foreach (var s in servers)
            {
                if (!s.HasExited)
                {
                    s.Kill(entireProcessTree: true);
                    s.WaitForExit(5000);
                }

                s.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }
}
