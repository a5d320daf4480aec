using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// The lab's kubelet stand-in for one node: registers the Node object, watches the pods bound to
/// the node (<c>fieldSelector=spec.nodeName=NODE</c>) and runs one <see cref="PodWorker"/> per pod.
/// On start it first removes sandboxes a previous run left behind (CNI DEL + namespace); on
/// cancellation (SIGTERM) every pod of the node is stopped and its network removed.
/// </summary>
public sealed class KubeletService(KubeletOptions options)
{
    private readonly Dictionary<string, IPodWorker> _workers = new(StringComparer.Ordinal);
    private readonly string _component = "kubelet/" + options.NodeName;
    private PodEvents? _events;
    private int _serverPort;
    private Cri.CriConnection? _cri;
    private string _runtimeVersion = "contiv-lab://1";

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var client = KubeClients.FromKubeconfig(options.Kubeconfig);
        var list = CniNetworkList.LoadFromDirectory(options.CniConfDir);
        var cni = new CniInvoker(list, options.CniBinPath, "/run/netns/" + options.NodeNetns, options.StateDir);
        LabLog.Info(_component, $"CNI network {list.Name} (spec {list.CniVersion}) from {list.Path}: {string.Join(" → ", list.Plugins.Select(p => p["type"]))}; CHECK {(!list.SupportsCheck ? "not supported by this spec version" : options.CheckInterval > TimeSpan.Zero ? $"every {options.CheckInterval.TotalSeconds:0}s" : "not periodic (--cni-check-interval 0)")}");

        if (options.RuntimeEndpoint is { } endpoint)
        {
            _cri = Cri.CriConnection.Open(endpoint);
            var version = await _cri.WaitReadyAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            _runtimeVersion = $"{version.RuntimeName}://{version.RuntimeVersion}";
            LabLog.Info(_component, $"container runtime {_runtimeVersion} (CRI {version.RuntimeApiVersion}) on {endpoint}: it runs the pods and calls CNI");
        }

        foreach (var stale in SandboxRecord.LoadAll(options.SandboxDir, m => LabLog.Warn(_component, m)))
        {
            LabLog.Info(_component, $"removing sandbox of pod {stale.PodNamespace}/{stale.PodName} left by a previous run");
            if (stale.Runtime == Cri.CriPodWorker.RuntimeName && _cri is not null)
            {
                await Cri.CriPodWorker.RemoveSandboxAsync(stale, _cri, options, _component).ConfigureAwait(false);
            }
            else
            {
                await PodWorker.RemoveSandboxAsync(stale, cni, options, _component, ct).ConfigureAwait(false);
            }
        }

        _events = new PodEvents(client, "kubelet", options.NodeName);
        using var server = new KubeletServer(options.PodLogDir, _component, NetnsOf, MountNamespaceOf) { ExecSyncOf = ExecSyncOf };
        _serverPort = server.Port;
        _ = server.RunAsync(ct);
        await RegisterNodeAsync(client, ct).ConfigureAwait(false);
        try
        {
            await WatchPodsAsync(client, cni, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            LabLog.Info(_component, $"stopping {_workers.Count} pod(s)");
            await Task.WhenAll(_workers.Values.Select(w => w.Completion)).ConfigureAwait(false);
            _cri?.Dispose();
        }
    }

    /// <summary>The network namespace of a pod running here (exec), or null.</summary>
    private string? NetnsOf(string ns, string name)
    {
        lock (_workers)
        {
            return _workers.Values.FirstOrDefault(w => w.Namespace == ns && w.Name == name && w.NetnsPath is not null)?.NetnsPath;
        }
    }

    /// <summary>The node labelled <c>node-role.kubernetes.io/control-plane</c>.</summary>
    internal const string ControlPlaneNode = "node1";
    /// <summary>The mount namespace of a pod running here when its containers have their own (exec sees their resolv.conf), or null.</summary>
    private string? MountNamespaceOf(string ns, string name)
    {
        lock (_workers)
        {
            return _workers.Values.FirstOrDefault(w => w.Namespace == ns && w.Name == name)?.MountNamespacePath;
        }
    }

    /// <summary>CRI <c>ExecSync</c> into a container of a pod a CRI runtime runs here, else null.</summary>
    private ExecSyncCall? ExecSyncOf(string ns, string name, string container)
    {
        lock (_workers)
        {
            return _workers.Values.FirstOrDefault(w => w.Namespace == ns && w.Name == name) is Cri.CriPodWorker cri
                ? (argv, ct) => cri.ExecSyncAsync(container, argv, ct)
                : null;
        }
    }

    private async Task RegisterNodeAsync(IKubernetes client, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var status = new V1NodeStatus
        {
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = options.HostIp }, new V1NodeAddress { Type = "Hostname", Address = options.NodeName }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = _serverPort } },
            Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "contiv-lab kubelet stand-in is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now }],
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = "amd64", OperatingSystem = "linux", KubeletVersion = "v1.32.0-lab", KubeProxyVersion = string.Empty,
                ContainerRuntimeVersion = _runtimeVersion, KernelVersion = Environment.OSVersion.Version.ToString(), OsImage = "contiv-lab",
                BootID = string.Empty, MachineID = string.Empty, SystemUUID = string.Empty,
            },
        };
        var node = new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = options.NodeName,
                Labels = new Dictionary<string, string>
                {
                    ["kubernetes.io/hostname"] = options.NodeName,
                    ["kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = "amd64",
                    ["contiv.io/lab-netns"] = options.NodeNetns,
                },
            },
            Status = status,
        };
        if (options.NodeName == ControlPlaneNode)
        {
            // The lab's control plane runs beside node1: label it as kubeadm does, so that manifests selecting
            // control-plane nodes (deploy/: KSR, contiv-crd, contiv-etcd) find one. No taint: lab pods have no tolerations.
            node.Metadata.Labels["node-role.kubernetes.io/control-plane"] = string.Empty;
        }


        for (var attempt = 0; ; attempt++)
        {
            try
            {
                try
                {
                    await client.CoreV1.CreateNodeAsync(node, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                {
                    // Registered by a previous run: refresh labels and status.
                }

                var existing = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: ct).ConfigureAwait(false);
                existing.Metadata.Labels = node.Metadata.Labels;
                existing = await client.CoreV1.ReplaceNodeAsync(existing, options.NodeName, cancellationToken: ct).ConfigureAwait(false);
                existing.Status = status;
                await client.CoreV1.ReplaceNodeStatusAsync(existing, options.NodeName, cancellationToken: ct).ConfigureAwait(false);
                LabLog.Info(_component, $"node {options.NodeName} registered (InternalIP {options.HostIp})");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException && attempt < 50)
            {
                LabLog.Warn(_component, $"node registration failed (retrying): {e.Message}");
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task WatchPodsAsync(IKubernetes client, CniInvoker cni, CancellationToken ct)
    {
        var selector = "spec.nodeName=" + options.NodeName;
        while (!ct.IsCancellationRequested)
        {
            string resourceVersion;
            try
            {
                var pods = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: selector, cancellationToken: ct).ConfigureAwait(false);
                resourceVersion = pods.Metadata.ResourceVersion;
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var pod in pods.Items)
                {
                    seen.Add(pod.Uid());
                    Apply(client, cni, pod, ct);
                }

                foreach (var (uid, worker) in _workers.ToList())
                {
                    if (!seen.Contains(uid))
                    {
                        worker.MarkRemoved();
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException)
            {
                LabLog.Warn(_component, $"listing pods failed (retrying): {e.Message}");
                await Task.Delay(1000, ct).ConfigureAwait(false);
                continue;
            }

            try
            {
                await foreach (var (type, pod) in client.CoreV1.WatchListPodForAllNamespacesAsync(
                    fieldSelector: selector, resourceVersion: resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300,
                    onError: e => LabLog.Warn(_component, "watch error: " + e.Message), cancellationToken: ct).ConfigureAwait(false))
                {
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            Apply(client, cni, pod, ct);
                            break;
                        case WatchEventType.Deleted:
                            if (_workers.TryGetValue(pod.Uid(), out var w))
                            {
                                w.MarkRemoved();
                            }

                            break;
                        case WatchEventType.Error:
                            // 410 Expired and friends: re-list.
                            goto relist;
                    }

                    Reap();
                }

            relist:
                Reap();
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException && !ct.IsCancellationRequested)
            {
                LabLog.Warn(_component, $"pod watch ended (re-listing): {e.Message}");
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }
    }

    private void Apply(IKubernetes client, CniInvoker cni, V1Pod pod, CancellationToken ct)
    {
        var uid = pod.Uid();
        if (_workers.TryGetValue(uid, out var worker))
        {
            worker.Update(pod);
            return;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed" && pod.Metadata.DeletionTimestamp is null)
        {
            return;
        }

        // A pod running the lab's own binary (the cluster DNS) has no image a runtime could run: the process runner runs it.
        worker = _cri is null || RunsLabBinary(pod) ? new PodWorker(options, client, cni, pod, _events) : new Cri.CriPodWorker(options, client, _cri, pod, _events);
        lock (_workers)
        {
            _workers[uid] = worker;
        }

        LabLog.Info(_component, $"pod {pod.Namespace()}/{pod.Name()} ({uid}) assigned to this node");
        worker.Start(ct);
    }

    /// <summary>True when every container of the pod runs <see cref="LabBinaries.Image"/>.</summary>
    internal static bool RunsLabBinary(V1Pod pod) => pod.Spec.Containers.All(c => c.Image == LabBinaries.Image);

    private void Reap()
    {
        foreach (var (uid, worker) in _workers.ToList())
        {
            if (worker.Completion.IsCompleted)
            {
                lock (_workers)
                {
                    _workers.Remove(uid);
                }
            }
        }
    }
}
