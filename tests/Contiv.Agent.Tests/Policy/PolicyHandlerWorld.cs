using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.Kube;
using Contiv.Agent.PodManager;
using Contiv.Agent.Policy;
using Contiv.Agent.Scheduler;
using Contiv.Agent.Tests.Services;
using Contiv.Model.Vpp;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Tests.Policy;

/// <summary>
/// The agent around the policy handler: node 1 (main NIC eth1), the real event loop and scheduler with the real
/// ACL descriptor over a <see cref="RecordingDataplane"/> (which reports an ACL put before its interfaces exist or an
/// interface deleted while an ACL names it), and a stand-in for podmanager + ipnet owning the node's interfaces and
/// the pods' TAPs. Pods are in namespace <c>default</c>, named after their IP (<c>pod-10-1-1-2</c>). The recording
/// data plane outlives the world, so a second world over it is a restarted agent.
/// </summary>
internal sealed class PolicyHandlerWorld : IDisposable
{
    private readonly FakeTimeProvider _time = new();

    public PolicyHandlerWorld(RecordingDataplane? dataplane = null)
    {
        Dataplane = dataplane ?? new RecordingDataplane();
        var settings = NodeSettings.For(ConfigLoader.Parse(ServiceWorld.Node1Yaml + "\ncontroller: { enableRetry: false }\n", new Hashtable()), "node1");
        Ctx = new AgentContext(settings) { NodeId = 1 };
        Ctx.Addressing = new NodeAddressing(settings.Subnets, 1);
        Scheduler = new KvScheduler(sleep: _ => { });
        Scheduler.Register(new VppVrfDescriptor(Dataplane));
        Scheduler.Register(new VppInterfaceDescriptor(Dataplane));
        Scheduler.Register(new VppAclDescriptor(Dataplane));
        Handler = new PolicyHandler(Ctx, NullLogger.Instance);
        Loop = new EventLoop(Scheduler, settings.Config.Controller, time: _time);
        Loop.AddHandler(new IpNetStandIn(Ctx));
        Loop.AddHandler(Handler);
        Loop.Start();
    }

    public RecordingDataplane Dataplane { get; }

    public AgentContext Ctx { get; }

    public KvScheduler Scheduler { get; }

    public PolicyHandler Handler { get; }

    public EventLoop Loop { get; }

    public KubeStateData Kube { get; } = new();

    public static PodId Pod(string ip) => new(ServiceWorld.PodName(ip), "default");

    public static string TapOf(string ip) => IpNetConfig.PodTapName(ContainerOf(ip));

    public static string ContainerOf(string ip) => "cid" + ip.Replace(".", string.Empty, StringComparison.Ordinal);

    public static string PodKey(string ip) => $"k8s/pod/{ServiceWorld.PodName(ip)}/namespace/default";

    public static string PolicyKey(string name) => $"k8s/policy/{name}/namespace/default";

    /// <summary>The ACLs the data plane holds now, by name.</summary>
    public Dictionary<string, Acl> Acls => Dataplane.DumpAll().Acls.ToDictionary(a => a.Name);

    public void Dispose() => Loop.Dispose();

    /// <summary>A KSR pod record for a pod named after <paramref name="ip"/>.</summary>
    public static Model.Ksr.Pod PodRecord(string ip, params (string Key, string Value)[] labels) =>
        PolicyBuilders.KsrPod("default", ServiceWorld.PodName(ip), ip, labels);

    public void Seed(string resource, string key, IMessage value) => Kube.Set(resource, key, value);

    public void SeedLocalPod(string ip) => Ctx.LocalPods[Pod(ip)] = new LocalPod(ServiceWorld.PodName(ip), "default", ContainerOf(ip), "/run/netns/x", "eth0", ip);

    public Task ResyncAsync() => RunAsync(new DbResync(Kube.Clone()));

    public Task ChangeAsync(string resource, string key, IMessage? value)
    {
        var prev = Kube[resource].GetValueOrDefault(key);
        Kube.Set(resource, key, value);
        return RunAsync(new KubeStateChange(resource, key, prev, value));
    }

    public Task PutPolicyAsync(KsrPolicy p) => ChangeAsync("policy", PolicyKey(p.Name), p);

    public Task AddPodAsync(string ip) => RunAsync(new AddPod(Pod(ip), ContainerOf(ip), "/run/netns/" + ServiceWorld.PodName(ip), "eth0"));

    public Task DeletePodAsync(string ip) => RunAsync(new DeletePod(Pod(ip)));

    public async Task RunAsync(AgentEvent ev)
    {
        Loop.Push(ev);
        await ev.Completion.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
