using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Model.Vpp;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.PodManager;

/// <summary>A CNI Add for a pod that is known with another sandbox: the old one must be deleted first.</summary>
internal sealed class ObsoletePodException(PodId pod, LocalPod known) : Exception($"pod {pod} is already wired with container {known.ContainerId} in {known.NetworkNamespace}")
{
    /// <summary>The pod.</summary>
    public PodId Pod { get; } = pod;
}

/// <summary>
/// podmanager (SPEC §1.6.5): keeps the list of local pods (persisted) and detects obsolete pods. When the saved list
/// is unreadable, the pods are rebuilt from <paramref name="dataplaneDump"/> (see <see cref="PodRecovery"/>).
/// </summary>
/// <param name="ctx">Shared agent state.</param>
/// <param name="store">The persisted pod list.</param>
/// <param name="log">Logger.</param>
/// <param name="dataplaneDump">Reads the data plane's configuration (null: no recovery source, pods start empty).</param>
internal sealed class PodManagerHandler(AgentContext ctx, PodStateStore store, ILogger log, Func<DumpReply>? dataplaneDump = null) : IEventHandler
{
    private bool _loaded;

    /// <inheritdoc/>
    public string Name => "podmanager";

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update || ev is AddPod or DeletePod;

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        if (_loaded)
        {
            return;
        }

        foreach (var p in LoadOrRecover(kubeState))
        {
            if (!File.Exists(p.NetworkNamespace))
            {
                log.LogInformation("forgetting pod {Namespace}/{Name}: its network namespace {Netns} is gone", p.Namespace, p.Name, p.NetworkNamespace);
                continue;
            }

            ctx.LocalPods[new PodId(p.Name, p.Namespace)] = p;
        }

        _loaded = true;
        store.Save(ctx.LocalPods.Values);
    }

    private IReadOnlyList<LocalPod> LoadOrRecover(KubeStateData kubeState)
    {
        if (store.TryLoad(out var saved))
        {
            return saved;
        }

        if (dataplaneDump is null)
        {
            return [];
        }

        try
        {
            return PodRecovery.FromDump(dataplaneDump(), kubeState, log);
        }
        catch (RpcException e)
        {
            // Without the pod list the resync would unwire every pod: stop here and let healing retry.
            throw new InvalidOperationException($"pod state file unreadable and the data plane cannot be dumped to rebuild the pods: {e.Status.Detail}", e);
        }
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        switch (ev)
        {
            case AddPod add:
                if (ctx.LocalPods.TryGetValue(add.Pod, out var known)
                    && (known.ContainerId != add.ContainerId || known.NetworkNamespace != add.NetworkNamespace))
                {
                    throw new ObsoletePodException(add.Pod, known);
                }

                ctx.LocalPods[add.Pod] = known ?? new LocalPod(add.Pod.Name, add.Pod.Namespace, add.ContainerId, add.NetworkNamespace, add.InterfaceName, string.Empty);
                return known is null ? "pod added" : "pod already known";
            case DeletePod del:
                if (ctx.LocalPods.Remove(del.Pod))
                {
                    store.Save(ctx.LocalPods.Values);
                    return "pod removed";
                }

                return "pod not known";
            default:
                return string.Empty;
        }
    }

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
        if (ev is AddPod add && ctx.LocalPods.TryGetValue(add.Pod, out var p) && p.ContainerId == add.ContainerId && p.IpAddress.Length == 0)
        {
            ctx.LocalPods.Remove(add.Pod);
            store.Save(ctx.LocalPods.Values);
        }
    }
}
