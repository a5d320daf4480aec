using Contiv.Agent.Controller;
using Contiv.Agent.Dataplane;
using Contiv.Agent.IpNet;
using Contiv.Agent.Kube;
using Contiv.Agent.PodManager;
using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Tests.Services;

/// <summary>
/// Stands in for podmanager + ipnet in the handler worlds (<see cref="ServiceHandlerWorld"/>,
/// <c>PolicyHandlerWorld</c>): owns the VRFs, the node's interfaces and the pods' TAPs. A local pod is named after
/// its IP (<c>pod-10-1-1-5</c>), which is the IP the stand-in gives it.
/// </summary>
internal sealed class IpNetStandIn(AgentContext ctx) : IEventHandler
{
    public string Name => "ipnet";

    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update || ev is AddPod or DeletePod;

    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        txn.Put(VppKeys.Vrf(0), new VrfTable { Id = 0 });
        txn.Put(VppKeys.Vrf(1), new VrfTable { Id = 1 });
        foreach (var (name, vrf) in new[] { ("eth1", 0u), (IpNetConfig.HostTap, 0u), (IpNetConfig.VxlanBvi, 1u) })
        {
            txn.Put(VppKeys.Interface(name), new Interface { Name = name, Enabled = true, Vrf = vrf });
        }

        foreach (var pod in ctx.LocalPods.Values)
        {
            var tap = IpNetConfig.PodTapName(pod.ContainerId);
            txn.Put(VppKeys.Interface(tap), new Interface { Name = tap, Enabled = true, Vrf = 1 });
        }
    }

    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        switch (ev)
        {
            case AddPod add:
                {
                    var ip = add.Pod.Name["pod-".Length..].Replace('-', '.');
                    ctx.LocalPods[add.Pod] = new LocalPod(add.Pod.Name, add.Pod.Namespace, add.ContainerId, add.NetworkNamespace, "eth0", ip);
                    var tap = IpNetConfig.PodTapName(add.ContainerId);
                    txn.Put(VppKeys.Interface(tap), new Interface { Name = tap, Enabled = true, Vrf = 1 });
                    return "pod wired";
                }

            case DeletePod del:
                if (ctx.LocalPods.Remove(del.Pod, out var pod))
                {
                    txn.Delete(VppKeys.Interface(IpNetConfig.PodTapName(pod.ContainerId)));
                }

                return "pod unwired";
            default:
                return string.Empty;
        }
    }

    public void Revert(AgentEvent ev)
    {
        if (ev is AddPod add)
        {
            ctx.LocalPods.Remove(add.Pod);
        }
    }
}
