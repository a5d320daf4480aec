using System.Net.Sockets;
using Contiv.Model.Vpp;
using Contiv.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Tests;

/// <summary>The gRPC control API of the real daemon over its unix socket.</summary>
public sealed class ApiTests
{
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
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 << 20 });
    }

    private static ConfigOp Put(Api.Interface i) => new() { Interface = i };

    [RootFact]
    public void A_batch_above_the_message_limit_is_refused_and_the_daemon_keeps_serving()
    {
        using var scope = new NetnsScope();
        var node = scope.Create("node");
        using var vpp = new VppProcess(node);
        using var channel = Connect(vpp.ApiSocket);
        var client = new Api.Dataplane.DataplaneClient(channel);

        // One VRF label just above the limit: the server refuses the request before decoding it.
        var huge = new ConfigBatch { Ops = { new ConfigOp { Vrf = new VrfTable { Id = 7, Label = new string('x', DataplaneApiLimits.MaxMessageBytes) } } } };
        var e = Assert.Throws<RpcException>(() => client.Apply(huge));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);

        // A batch just below it is applied (Kestrel's own 30 MB body limit once failed it with "Unknown").
        var big = new ConfigBatch { Ops = { new ConfigOp { Vrf = new VrfTable { Id = 7, Label = new string('y', DataplaneApiLimits.MaxMessageBytes - 1024) } } } };
        try
        {
            Assert.Equal(OpResult.Types.Status.Ok, Assert.Single(client.Apply(big).Results).Status);
        }
        catch (RpcException x)
        {
            Assert.Fail($"{x.Status}\n{vpp.Log}");
        }
        Assert.True(client.GetHealth(new Empty()).Live);
    }

    [RootFact]
    public void Batched_apply_creates_objects_that_dump_returns_and_errors_name_the_object()
    {
        using var scope = new NetnsScope();
        var node = scope.Create("node");
        using var vpp = new VppProcess(node);
        using var channel = Connect(vpp.ApiSocket);
        var client = new Api.Dataplane.DataplaneClient(channel);

        var batch = new ConfigBatch();
        batch.Ops.Add(new ConfigOp { Vrf = new VrfTable { Id = 5, Label = "podVRF" } });
        var loop = new Api.Interface { Name = "podGwLoop", Type = InterfaceType.Loopback, Enabled = true, Vrf = 5 };
        loop.IpAddresses.Add("10.1.1.1/24");
        batch.Ops.Add(Put(loop));
        for (var i = 0; i < 5000; i++)
        {
            batch.Ops.Add(new ConfigOp { Route = new Api.Route { VrfId = 5, DstNetwork = $"10.200.{i / 250}.{i % 250}/32", NextHopAddr = "10.1.1.9", OutInterface = "podGwLoop" } });
        }

        batch.Ops.Add(new ConfigOp { Route = new Api.Route { VrfId = 0, DstNetwork = "10.1.0.0/16", Type = RouteType.InterVrf, ViaVrfId = 5 } });
        batch.Ops.Add(new ConfigOp { Arp = new ArpEntry { Interface = "podGwLoop", IpAddress = "10.1.1.9", PhysAddress = "02:fe:00:00:00:09", Static = true } });
        batch.Ops.Add(new ConfigOp { Route = new Api.Route { VrfId = 5, DstNetwork = "10.9.0.0/16", OutInterface = "nope" } });
        batch.Ops.Add(new ConfigOp { Action = ConfigOp.Types.Action.Delete, Route = new Api.Route { VrfId = 5, DstNetwork = "10.8.0.0/16", NextHopAddr = "10.1.1.9" } });
        batch.Ops.Add(new ConfigOp { BridgeDomain = new BridgeDomain { Id = 1, Interfaces = { new BridgeDomainMember { Name = "nope" } } } });
        var reply = client.Apply(batch);
        Assert.Equal(batch.Ops.Count, reply.Results.Count);
        Assert.All(reply.Results.Take(5004), r => Assert.Equal(OpResult.Types.Status.Ok, r.Status));
        Assert.Equal("loop0", reply.Results[1].DevName);
        Assert.Equal(OpResult.Types.Status.NotFound, reply.Results[5004].Status);
        Assert.Contains("nope", reply.Results[5004].Error, StringComparison.Ordinal);
        Assert.Equal(OpResult.Types.Status.NotFound, reply.Results[5005].Status);
        Assert.Equal(OpResult.Types.Status.NotFound, reply.Results[5006].Status);

        // PUT is idempotent: the same interface keeps its index.
        var again = client.Apply(new ConfigBatch { Ops = { Put(loop) } });
        Assert.Equal(reply.Results[1].SwIfIndex, again.Results[0].SwIfIndex);

        var dump = client.Dump(new DumpRequest());
        var dl = Assert.Single(dump.Interfaces, i => i.Name == "podGwLoop");
        Assert.Equal("loop0", dl.DevName);
        Assert.Equal(5u, dl.Vrf);
        Assert.Equal(["10.1.1.1/24"], dl.IpAddresses);
        Assert.Equal(5001, dump.Routes.Count);
        Assert.Contains(dump.Routes, r => r.Type == RouteType.InterVrf && r.ViaVrfId == 5 && r.DstNetwork == "10.1.0.0/16");
        Assert.Contains(dump.Arps, a => a.IpAddress == "10.1.1.9" && a.Static && a.PhysAddress == "02:fe:00:00:00:09");
        Assert.Contains(dump.Vrfs, v => v.Id == 5 && v.Label == "podVRF");
        Assert.Contains("10.200.19.249/32", client.Cli(new CliRequest { Command = "show ip fib table 5" }).Output, StringComparison.Ordinal);
        var bad = client.Cli(new CliRequest { Command = "show ip fib table 77" });
        Assert.True(bad.Error);

        Assert.True(client.GetHealth(new Empty()).Live);
        Assert.Equal((uint)vpp.Pid, client.GetVersion(new Empty()).Pid);
    }

    [RootFact]
    public void Tap_created_through_the_api_serves_a_pod_and_interface_events_are_streamed()
    {
        using var scope = new NetnsScope();
        var node = scope.Create("node");
        var pod = scope.Create("pod");
        using var vpp = new VppProcess(node);
        using var channel = Connect(vpp.ApiSocket);
        var client = new Api.Dataplane.DataplaneClient(channel);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = client.WatchInterfaces(new Empty(), cancellationToken: cts.Token);
        Thread.Sleep(300);

        var batch = new ConfigBatch { StopOnError = true };
        batch.Ops.Add(new ConfigOp { Vrf = new VrfTable { Id = 1 } });
        var loop = new Api.Interface { Name = "podGwLoop", Type = InterfaceType.Loopback, Enabled = true, Vrf = 1 };
        loop.IpAddresses.Add("10.1.1.1/24");
        batch.Ops.Add(Put(loop));
        batch.Ops.Add(Put(new Api.Interface
        {
            Name = "vpp-tap-pod1", Type = InterfaceType.Tap, Enabled = true, Vrf = 1, Mtu = 1450, UnnumberedTo = "podGwLoop",
            PhysAddress = "02:fe:11:22:33:44",
            Tap = new TapLink { HostIfName = "eth0", HostNamespace = pod, HostIp4Prefix = "10.1.1.2/24", HostIp4Gw = "10.1.1.1", EnableGso = true, HostUp = true },
        }));
        batch.Ops.Add(new ConfigOp { Route = new Api.Route { VrfId = 1, DstNetwork = "10.1.1.2/32", NextHopAddr = "10.1.1.2", OutInterface = "vpp-tap-pod1" } });
        var reply = client.Apply(batch);
        Assert.All(reply.Results, r => Assert.True(r.Status == OpResult.Types.Status.Ok, r.Error));
        Assert.StartsWith("tap", reply.Results[2].DevName, StringComparison.Ordinal);

        Assert.True(NetnsScope.Ping(pod, "10.1.1.1", count: 2), "pod -> its gateway on the unnumbered TAP");
        // A GSO TAP's super-frames are sized to fit one VXLAN UDP GSO packet.
        Assert.Contains($"gso_max_size {Contiv.Vpp.Interfaces.TapInterfaceDevice.TunnelGsoMaxSize(1450)} ", Shell.Run($"ip -n {pod} -d link show eth0").StdOut, StringComparison.Ordinal);
        Assert.Contains("02:fe:11:22:33:44", Shell.Run($"ip -n {pod} neigh show 10.1.1.1").StdOut, StringComparison.Ordinal);

        var seen = new List<InterfaceEvent>();
        while (seen.Count < 4 && watch.ResponseStream.MoveNext(cts.Token).GetAwaiter().GetResult())
        {
            seen.Add(watch.ResponseStream.Current);
        }

        Assert.Contains(seen, e => e.Kind == InterfaceEvent.Types.Kind.Created && e.Name == "vpp-tap-pod1");
        Assert.Contains(seen, e => e.Kind == InterfaceEvent.Types.Kind.Changed && e.Name == "vpp-tap-pod1" && e.AdminUp);

        var del = client.Apply(new ConfigBatch { Ops = { new ConfigOp { Action = ConfigOp.Types.Action.Delete, Interface = new Api.Interface { Name = "vpp-tap-pod1" } } } });
        Assert.Equal(OpResult.Types.Status.Ok, del.Results[0].Status);
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} -br link").StdOut, StringComparison.Ordinal);
        var stats = client.DumpInterfaceStats(new Empty());
        Assert.DoesNotContain(stats.Interfaces, s => s.Name == "vpp-tap-pod1");
        cts.Cancel();
    }
}
