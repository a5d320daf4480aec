using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Agent.Kube;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Agent.Services.Nat44;
using Contiv.Model.Ipam;
using Contiv.Model.Ksr;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.Services;

/// <summary>
/// service (SPEC §1.6.8, §3.1–3.2): feeds the <see cref="ServiceProcessor"/> with KSR Services, Endpoints and custom
/// IPAM records, other nodes (<see cref="NodeUpdate"/>) and this node's pods (AddPod / DeletePod), and puts what the
/// <see cref="Nat44Renderer"/> makes of it into each event's transaction: everything on a resync, only the changed
/// NAT44 objects on an update (endpoint churn re-puts only the mappings whose locals changed). Runs after ipnet, so
/// a pod's TAP is in the same transaction as its NAT44 interface feature.
/// </summary>
/// <param name="ctx">This node's state (addressing, nodes, local pods), filled by the handlers before this one.</param>
/// <param name="hostIps">IPv4 addresses of the node's host stack (local backends may live there).</param>
/// <param name="log">Logger.</param>
internal sealed class ServiceHandler(AgentContext ctx, Func<IEnumerable<string>> hostIps, ILogger log) : IEventHandler
{
    private ServiceProcessor? _processor;
    private Nat44Renderer? _renderer;

    // Pods the processor knows as local, to undo exactly what a reverted AddPod did.
    private readonly HashSet<PodId> _localPods = [];
    private AddPod? _podAddedBy;

    /// <inheritdoc/>
    public string Name => "service";

    /// <summary>The current renderer (null before the first resync); owned by the event loop thread.</summary>
    internal Nat44Renderer? Renderer => _renderer;

    /// <summary>The current processor (null before the first resync); owned by the event loop thread.</summary>
    internal ServiceProcessor? Processor => _processor;

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update
        || ev is AddPod or DeletePod or NodeUpdate
        || ev is KubeStateChange { Resource: KubeResources.Service or KubeResources.Endpoints or KubeResources.CustomIpam };

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        ArgumentNullException.ThrowIfNull(kubeState);
        ArgumentNullException.ThrowIfNull(txn);
        // The node's addresses may have changed with the resync: start from scratch with a fresh context.
        var node = ServiceNodeContext.From(ctx, hostIps());
        var processor = new ServiceProcessor(node);
        var renderer = new Nat44Renderer(node);
        var state = processor.Resync(
            kubeState[KubeResources.Service].Values.OfType<Service>(),
            kubeState[KubeResources.Endpoints].Values.OfType<Endpoints>(),
            ctx.Nodes.Values.Where(n => n.Id > 0), // like NodeUpdate: only nodes with an ID take part
            ctx.LocalPods.Values,
            kubeState[KubeResources.CustomIpam].Values.OfType<CustomIPAllocation>());
        var desired = renderer.Resync(state);
        _processor = processor;
        _renderer = renderer;
        _localPods.Clear();
        _localPods.UnionWith(ctx.LocalPods.Keys);
        _podAddedBy = null;

        foreach (var c in renderer.Conflicts)
        {
            log.LogWarning("services clash on a NAT44 mapping: {Conflict}", c);
        }

        foreach (var (key, obj) in desired)
        {
            txn.Put(key, obj);
        }

        log.LogInformation("services resynced: {Services} services, {Objects} NAT44 objects, node ports on {NodePortIps}",
            state.Services.Count, desired.Count, state.NodePortIps);
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        if (_processor is not { } processor || _renderer is not { } renderer)
        {
            return string.Empty; // updates wait for the startup resync; nothing to do before it
        }

        _podAddedBy = null;
        string what;
        ServiceChange change;
        switch (ev)
        {
            case KubeStateChange { Resource: KubeResources.Service } k:
                {
                    var id = IdOf(k, static (Service s) => (s.Namespace, s.Name));
                    change = processor.UpdateService(id, k.NewValue as Service);
                    what = $"service {id}";
                    break;
                }

            case KubeStateChange { Resource: KubeResources.Endpoints } k:
                {
                    var id = IdOf(k, static (Endpoints e) => (e.Namespace, e.Name));
                    change = processor.UpdateEndpoints(id, k.NewValue as Endpoints);
                    what = $"endpoints {id}";
                    break;
                }

            case KubeStateChange { Resource: KubeResources.CustomIpam } k:
                {
                    if ((k.NewValue ?? k.PrevValue) is not CustomIPAllocation c)
                    {
                        return string.Empty;
                    }

                    var pod = new PodId(c.PodName, c.PodNamespace);
                    change = processor.UpdateCustomIpam(pod, k.NewValue as CustomIPAllocation);
                    what = $"custom IPAM of pod {pod}";
                    break;
                }

            case NodeUpdate nu:
                change = processor.UpdateNode(nu.NodeName, nu.NewState);
                what = $"node {nu.NodeName}";
                break;

            case AddPod add:
                {
                    if (!ctx.LocalPods.TryGetValue(add.Pod, out var pod))
                    {
                        return string.Empty;
                    }

                    if (_localPods.Add(add.Pod))
                    {
                        _podAddedBy = add;
                    }

                    change = processor.AddLocalPod(pod);
                    what = $"local pod {add.Pod}";
                    break;
                }

            case DeletePod del:
                _localPods.Remove(del.Pod);
                change = processor.RemoveLocalPod(del.Pod);
                what = $"local pod {del.Pod} removed";
                break;

            default:
                return string.Empty;
        }

        var delta = renderer.Update(change);
        if (delta.IsEmpty)
        {
            return string.Empty;
        }

        foreach (var obj in delta.Puts)
        {
            txn.Put(obj.Key, obj);
        }

        foreach (var key in delta.Deletes)
        {
            txn.Delete(key);
        }

        return $"{what}: {delta.Puts.Count} NAT44 objects put, {delta.Deletes.Count} deleted";
    }

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
        // A failed pod Add is undone by the scheduler; the processor and renderer forget the pod so that they
        // keep describing what the scheduler desires.
        if (ev is AddPod add && ReferenceEquals(_podAddedBy, add) && _processor is { } processor && _renderer is { } renderer)
        {
            _localPods.Remove(add.Pod);
            renderer.Update(processor.RemoveLocalPod(add.Pod));
            _podAddedBy = null;
        }
    }

    /// <summary>
    /// The Service / Endpoints identity of a change: from its value (the previous one for a delete), else from its key
    /// (<c>k8s/service/{name}/namespace/{ns}</c>).
    /// </summary>
    private static ServiceId IdOf<T>(KubeStateChange k, Func<T, (string Namespace, string Name)> idOf)
        where T : class, IMessage
    {
        if ((k.NewValue ?? k.PrevValue) is T value)
        {
            var (ns, name) = idOf(value);
            return new ServiceId(ns, name);
        }

        var parts = k.Key.Split('/');
        var at = Array.IndexOf(parts, "namespace");
        if (at >= 1 && at + 1 < parts.Length)
        {
            return new ServiceId(parts[at + 1], parts[at - 1]);
        }

        throw new FormatException($"{k.Resource} key {k.Key}: expected .../{{name}}/namespace/{{namespace}}");
    }
}
