using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// The lab's controller-manager (<c>contiv-lab controller-manager</c>): shared informers for Deployments, ReplicaSets,
/// DaemonSets, Jobs, pods and nodes route every change to the work queue of the controller that owns the object
/// (a pod's change to its controller owner's queue, a node's change to every DaemonSet, an owner's deletion to the
/// garbage collector); one worker per controller reconciles a key at a time against fresh reads of the API server
/// (no expectations bookkeeping needed); a failed reconcile is retried after a second; everything is resynced every
/// 30 s. Endpoints are not here: the API server's own Endpoints controller is the lab's one implementation.
/// </summary>
public sealed class ControllerManager(IKubernetes client)
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(30);

    /// <summary>Runs every controller until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var deployments = new Informer<V1Deployment>("deployments",
            async c => { var l = await client.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
            (rv, c) => client.AppsV1.WatchListDeploymentForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));
        var replicaSets = new Informer<V1ReplicaSet>("replicasets",
            async c => { var l = await client.AppsV1.ListReplicaSetForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
            (rv, c) => client.AppsV1.WatchListReplicaSetForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));
        var daemonSets = new Informer<V1DaemonSet>("daemonsets",
            async c => { var l = await client.AppsV1.ListDaemonSetForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
            (rv, c) => client.AppsV1.WatchListDaemonSetForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));
        var jobs = new Informer<V1Job>("jobs",
            async c => { var l = await client.BatchV1.ListJobForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
            (rv, c) => client.BatchV1.WatchListJobForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));
        var pods = new Informer<V1Pod>("pods",
            async c => { var l = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
            (rv, c) => client.CoreV1.WatchListPodForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));
        var nodes = new Informer<V1Node>("nodes",
            async c => { var l = await client.CoreV1.ListNodeAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
            (rv, c) => client.CoreV1.WatchListNodeAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));

        var deploymentController = new DeploymentController(client);
        var replicaSetController = new ReplicaSetController(client);
        var daemonSetController = new DaemonSetController(client, nodes);
        var jobController = new JobController(client);
        var gc = new GarbageCollector(client, replicaSets, pods);
        IController[] controllers = [deploymentController, replicaSetController, daemonSetController, jobController, gc];

        void ToOwner(V1ObjectMeta meta)
        {
            var owner = Workloads.ControllerOf(meta);
            var key = Keys.Of(meta.NamespaceProperty, owner?.Name ?? string.Empty);
            switch (owner?.Kind)
            {
                case "Deployment":
                    deploymentController.Queue.Add(key);
                    break;
                case "ReplicaSet":
                    replicaSetController.Queue.Add(key);
                    break;
                case "DaemonSet":
                    daemonSetController.Queue.Add(key);
                    break;
                case "Job":
                    jobController.Queue.Add(key);
                    break;
            }
        }

        deployments.Changed += (_, d) => deploymentController.Queue.Add(Informer<V1Deployment>.KeyOf(d));
        deployments.Deleted += _ => gc.Queue.Add(GarbageCollector.SweepKey);
        replicaSets.Changed += (_, rs) => { replicaSetController.Queue.Add(Informer<V1ReplicaSet>.KeyOf(rs)); ToOwner(rs.Metadata); };
        replicaSets.Deleted += rs => { ToOwner(rs.Metadata); gc.Queue.Add(GarbageCollector.SweepKey); };
        daemonSets.Changed += (_, ds) => daemonSetController.Queue.Add(Informer<V1DaemonSet>.KeyOf(ds));
        daemonSets.Deleted += _ => gc.Queue.Add(GarbageCollector.SweepKey);
        jobs.Changed += (_, j) => jobController.Queue.Add(Informer<V1Job>.KeyOf(j));
        jobs.Deleted += _ => gc.Queue.Add(GarbageCollector.SweepKey);
        pods.Changed += (_, p) => ToOwner(p.Metadata);
        pods.Deleted += p => ToOwner(p.Metadata);
        nodes.Changed += (old, n) =>
        {
            if (old is null || Workloads.NodeReady(old) != Workloads.NodeReady(n) || !SameLabels(old, n))
            {
                AllDaemonSets();
            }
        };
        nodes.Deleted += _ => AllDaemonSets();

        void AllDaemonSets()
        {
            foreach (var ds in daemonSets.Items)
            {
                daemonSetController.Queue.Add(Informer<V1DaemonSet>.KeyOf(ds));
            }
        }

        var tasks = new List<Task>
        {
            deployments.RunAsync(ct), replicaSets.RunAsync(ct), daemonSets.RunAsync(ct), jobs.RunAsync(ct), pods.RunAsync(ct), nodes.RunAsync(ct),
        };
        await Task.WhenAll(deployments.Synced, replicaSets.Synced, daemonSets.Synced, jobs.Synced, pods.Synced, nodes.Synced).WaitAsync(ct).ConfigureAwait(false);
        LabLog.Info("controller-manager", "informers synced; controllers running");
        tasks.AddRange(controllers.Select(c => WorkAsync(c, ct)));
        tasks.Add(ResyncAsync(ct));

        async Task ResyncAsync(CancellationToken token)
        {
            while (!token.IsCancellationRequested)
            {
                gc.Queue.Add(GarbageCollector.SweepKey);
                foreach (var d in deployments.Items)
                {
                    deploymentController.Queue.Add(Informer<V1Deployment>.KeyOf(d));
                }

                foreach (var rs in replicaSets.Items)
                {
                    replicaSetController.Queue.Add(Informer<V1ReplicaSet>.KeyOf(rs));
                }

                AllDaemonSets();
                foreach (var j in jobs.Items)
                {
                    jobController.Queue.Add(Informer<V1Job>.KeyOf(j));
                }

                await Task.Delay(Resync, token).ConfigureAwait(false);
            }
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static bool SameLabels(V1Node a, V1Node b)
    {
        var la = a.Metadata.Labels ?? new Dictionary<string, string>();
        var lb = b.Metadata.Labels ?? new Dictionary<string, string>();
        return la.Count == lb.Count && la.All(kv => lb.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    private static async Task WorkAsync(IController controller, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await controller.Queue.TakeAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await controller.ReconcileAsync(key, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException or KubernetesException or InvalidOperationException or FormatException)
            {
                var detail = e is HttpOperationException h ? $"{(int)h.Response.StatusCode} {h.Response.Content}" : e.Message;
                LabLog.Warn("controller-manager", $"{controller.Name} {key}: {detail}; retrying");
                controller.Queue.AddAfter(key, TimeSpan.FromSeconds(1), ct);
            }
        }
    }
}
