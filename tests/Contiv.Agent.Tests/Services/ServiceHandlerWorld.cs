using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.Kube;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Agent.Scheduler;
using Contiv.Agent.Services;
using Contiv.Model;
using Contiv.Model.Vpp;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Contiv.Agent.Tests.Services;

/// <summary>
/// The agent around the service handler, as far as services need it: node 1 of <see cref="ServiceWorld"/> (main NIC
/// eth1 with a gateway, so SNAT and identity mappings exist), the real event loop and scheduler with the real data
/// plane descriptors over a <see cref="RecordingDataplane"/>, and a stand-in for podmanager + ipnet that owns the
/// VRFs, the node's interfaces and the pods' TAPs. The recording data plane outlives the agent, so a second world
/// over it is a restarted agent.
/// </summary>
internal sealed class ServiceHandlerWorld : IDisposable
{
    private readonly FakeTimeProvider _time = new();

    public ServiceHandlerWorld(RecordingDataplane? dataplane = null, string yaml = ServiceWorld.Node1Yaml)
    {
        Dataplane = dataplane ?? new RecordingDataplane();
        var settings = NodeSettings.For(ConfigLoader.Parse(yaml + "\ncontroller: { enableRetry: false }\n", new Hashtable()), "node1");
        Ctx = new AgentContext(settings) { NodeId = 1 };
        Ctx.Addressing = new NodeAddressing(settings.Subnets, 1);
        Ctx.NodeIp = Ctx.Addressing.NodeIpOf(1);
        Ctx.Nodes["node1"] = ServiceWorld.Node1;
        Ctx.Nodes["node2"] = ServiceWorld.Node2;
        Scheduler = new KvScheduler(sleep: _ => { });
        Scheduler.Register(new VppVrfDescriptor(Dataplane));
        Scheduler.Register(new VppInterfaceDescriptor(Dataplane));
        Scheduler.Register(new VppNat44GlobalDescriptor(Dataplane));
        Scheduler.Register(new VppNat44InterfaceDescriptor(Dataplane));
        Scheduler.Register(new VppNat44AddressDescriptor(Dataplane));
        Scheduler.Register(new VppNat44StaticMappingDescriptor(Dataplane));
        Scheduler.Register(new VppNat44IdentityMappingDescriptor(Dataplane));
        Handler = new ServiceHandler(Ctx, () => ["10.20.0.1/24"], NullLogger.Instance);
        Loop = new EventLoop(Scheduler, settings.Config.Controller, time: _time);
        Loop.AddHandler(new IpNetStandIn(Ctx));
        Loop.AddHandler(Handler);
        Loop.Start();
    }

    public RecordingDataplane Dataplane { get; }

    public AgentContext Ctx { get; }

    public KvScheduler Scheduler { get; }

    public ServiceHandler Handler { get; }

    public EventLoop Loop { get; }

    /// <summary>Kubernetes state as KSR would have reflected it (keys without the KSR prefix).</summary>
    public KubeStateData Kube { get; } = new();

    public static string ServiceKey(string name) => "k8s/service/" + name + "/namespace/default";

    public static string EndpointsKey(string name) => "k8s/endpoints/" + name + "/namespace/default";

    public static PodId Pod(string ip) => new(ServiceWorld.PodName(ip), "default");

    public static string ContainerOf(string ip) => "cid" + ip.Replace(".", string.Empty, StringComparison.Ordinal);

    public static string TapOf(string ip) => IpNetConfig.PodTapName(ContainerOf(ip));

    public void Dispose() => Loop.Dispose();

    /// <summary>Puts <paramref name="value"/> into the start state (before <see cref="ResyncAsync"/>).</summary>
    public void Seed(string resource, string key, IMessage value) => Kube.Set(resource, key, value);

    public Task ResyncAsync() => RunAsync(new DbResync(Kube.Clone()));

    /// <summary>A KSR change: the Service (or Endpoints) is created, updated, or deleted (null).</summary>
    public Task ChangeAsync(string resource, string key, IMessage? value)
    {
        var prev = Kube[resource].GetValueOrDefault(key);
        Kube.Set(resource, key, value);
        return RunAsync(new KubeStateChange(resource, key, prev, value));
    }

    public Task PutAsync(Model.Ksr.Service s) => ChangeAsync(KubeResources.Service, ServiceKey(s.Name), s);

    public Task PutAsync(Model.Ksr.Endpoints e) => ChangeAsync(KubeResources.Endpoints, EndpointsKey(e.Name), e);

    public Task NodeAsync(string name, NodeInfo? prev, NodeInfo? next)
    {
        if (next is null)
        {
            Ctx.Nodes.Remove(name);
        }
        else
        {
            Ctx.Nodes[name] = next;
        }

        return RunAsync(new NodeUpdate(name, prev, next));
    }

    public Task AddPodAsync(string ip) => RunAsync(new AddPod(Pod(ip), ContainerOf(ip), "/run/netns/" + ServiceWorld.PodName(ip), "eth0"));

    public Task DeletePodAsync(string ip) => RunAsync(new DeletePod(Pod(ip)));

    /// <summary>Runs one event to its end; its error (if any) is rethrown.</summary>
    public async Task RunAsync(AgentEvent ev)
    {
        Loop.Push(ev);
        await ev.Completion.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
