using Contiv.Lab.ControlPlane;
using Contiv.Lab.Network;
using Contiv.Lab.Nodes;
using Contiv.Lab.Processes;
using k8s;

namespace Contiv.Lab.Lab;

/// <summary>Options of <c>contiv-lab up</c>.</summary>
public sealed class UpOptions
{
    /// <summary>Number of nodes (1-250).</summary>
    public int Nodes { get; init; } = 2;

    /// <summary>Pod network.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Contiv;

    /// <summary>Use this etcd instead of starting one.</summary>
    public string? ExternalEtcd { get; init; }

    /// <summary>Seconds between the kubelets' periodic CNI CHECK calls per pod; 0 = no periodic CHECK.</summary>
    public int CniCheckIntervalSeconds { get; init; }

    /// <summary>Leave a half-started lab in place for inspection instead of tearing it down.</summary>
    public bool KeepOnFailure { get; init; }

    /// <summary>etcd with mutual TLS and REST over HTTPS with basic auth (docs/security.md).</summary>
    public bool Secure { get; init; }

    /// <summary>Single-NIC nodes: contiv-stn steals each node's <c>eth0</c>, contiv-init runs the vSwitch (docs/stn.md).</summary>
    public bool Stn { get; init; }
    /// <summary>Run the cluster DNS (kube-system/kube-dns, contiv network only).</summary>
    public bool ClusterDns { get; init; } = true;
    /// <summary>What runs the pods: <c>process</c> (the kubelet stand-in, host processes) or <c>containerd</c> (CRI).</summary>
    public string Runtime { get; init; } = "process";
}

/// <summary>
/// Brings a lab up and changes it while it runs: <c>up</c>, adding, removing and restarting nodes.
/// A failed <c>up</c> tears down whatever it had created.
/// </summary>
public static class LabLifecycle
{
    /// <summary>Starts a whole lab and returns once every node is registered (and, with Contiv, every agent is ready).</summary>
    public static async Task<LabState> UpAsync(LabInstance lab, UpOptions options, Action<string> log, CancellationToken ct)
    {
        if (options.CniCheckIntervalSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CniCheckIntervalSeconds, $"--cni-check-interval {options.CniCheckIntervalSeconds}: must be 0 (off) or a number of seconds");
        }

        if (options.Nodes is < 1 or > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Nodes, $"--nodes {options.Nodes}: must be 1-250");
        }

        if (options.Secure && options.ExternalEtcd is not null)
        {
            throw new ArgumentException("--secure starts the lab's own etcd with TLS; it cannot be combined with --etcd");
        }

        if (StnNodes.Incompatible(options) is { } stnProblem)
        {
            throw new ArgumentException(stnProblem);
        }

        var existing = LabState.Load(lab);
        if (existing is not null && existing.Processes.Any(p => ProcessTable.IsAlive(p.Pid, p.StartTicks)))
        {
            throw new InvalidOperationException($"lab \"{lab.Name}\" is already up ({existing.Nodes.Count} nodes); run `contiv-lab down` first or `contiv-lab node add`");
        }

        if (existing is not null || LabTopology.ExistingNamespaces(lab).Count > 0 || Directory.Exists(lab.StateDir))
        {
            log("removing leftovers of a previous lab");
            await LabTeardown.DownAsync(lab, _ => { }).ConfigureAwait(false);
        }

        var bins = LabBinaries.Locate();
        var needed = new List<string> { "contiv-apiserver", "contiv-ksr", "contiv-crd" };
        if (options.Network == NetworkMode.Contiv)
        {
            needed.AddRange(["contiv-vpp", "contiv-agent", "contiv-cni"]);
        }

        if (options.Stn)
        {
            needed.AddRange(["contiv-stn", "contiv-init"]);
        }

        foreach (var exe in needed)
        {
            _ = bins.Path(exe);
        }

        if (options.Runtime == Kubelet.Cri.LabContainerd.RuntimeName)
        {
            Kubelet.Cri.LabContainerd.RequirePrerequisites(bins);
        }

        var taken = new HashSet<int>();
        var preferred = lab.Name == LabInstance.DefaultName;
        var state = new LabState
        {
            Instance = lab.Name,
            CreatedAt = DateTimeOffset.UtcNow,
            Network = options.Network.ToString().ToLowerInvariant(),
            ExternalEtcd = options.ExternalEtcd is not null,
            CniCheckIntervalSeconds = options.CniCheckIntervalSeconds,
            Secure = options.Secure,
            Stn = options.Stn,
            // The DNS server runs as a contiv-lab process in a pod (with containerd too: the kubelet runs that pod with the process runner).
            ClusterDns = options.ClusterDns && options.Network == NetworkMode.Contiv,
            Runtime = options.Runtime,
            ApiServerPort = Ports.Pick(preferred ? 6443 : null, taken),
            KsrPort = Ports.Pick(preferred ? 9191 : null, taken),
            CrdPort = Ports.Pick(preferred ? 9090 : null, taken),
        };
        if (options.ExternalEtcd is { } url)
        {
            state.EtcdUrl = url.Split(',')[0].TrimEnd('/');
        }
        else
        {
            state.EtcdClientPort = Ports.Pick(preferred ? 32379 : null, taken);
            state.EtcdPeerPort = Ports.Pick(preferred ? 32380 : null, taken);
            state.EtcdUrl = $"{(options.Secure ? "https" : "http")}://127.0.0.1:{state.EtcdClientPort}";
        }

        Directory.CreateDirectory(lab.LogDir);
        state.Save(lab);
        if (options.Secure)
        {
            log($"certificates and REST credentials in {LabCertificates.Create(lab).Directory}");
        }

        try
        {
            log(options.Stn
                ? $"underlay: namespace {lab.LabNetns} with bridge {LabTopology.DataBridge} ({LabTopology.DataSubnet}, gateway {StnUnderlay.GatewayIp}), one NIC ({StnUnderlay.NodeLink}) per node for management and data"
                : $"underlay: namespace {lab.LabNetns} with bridges {LabTopology.ManagementBridge} ({LabTopology.ManagementSubnet}) and {LabTopology.DataBridge} ({LabTopology.DataSubnet})");
            LabTopology.CreateUnderlay(lab, options.Stn);
            state.Namespaces.Add(lab.LabNetns);
            LabState.Update(lab, s => s.Namespaces.Add(lab.LabNetns));

            if (!state.ExternalEtcd)
            {
                log($"etcd on {state.EtcdUrl}");
                await LabControlPlane.StartEtcdAsync(lab, state, ct).ConfigureAwait(false);
            }

            log($"API server on {state.ApiServerUrl}");
            await LabControlPlane.StartApiServerAsync(lab, state, bins, ct).ConfigureAwait(false);
            log($"contiv-ksr (probes on 127.0.0.1:{state.KsrPort})");
            await LabControlPlane.StartKsrAsync(lab, state, bins, ct).ConfigureAwait(false);
            log($"contiv-crd (probes on 127.0.0.1:{state.CrdPort})");
            await LabControlPlane.StartCrdAsync(lab, state, bins, ct).ConfigureAwait(false);
            StartScheduler(lab, state);
            StartControllerManager(lab, state);

            var nodes = new List<LabNode>();
            for (var i = 1; i <= options.Nodes; i++)
            {
                nodes.Add(LabNodes.Create(lab, state, i, options.Network, bins, taken));
            }

            await StartNodesAsync(lab, state, nodes, options.Network, bins, log, ct).ConfigureAwait(false);
            if (state.ClusterDns)
            {
                log($"cluster DNS: kube-system/kube-dns on {Dns.KubeDnsDeployment.ClusterIp} ({Dns.KubeDnsDeployment.Domain})");
                using (var client = KubeClients.FromKubeconfig(lab.KubeconfigPath))
                {
                    await Dns.KubeDnsDeployment.ApplyAsync(client, lab.KubeconfigPath, ct).ConfigureAwait(false);
                    await Dns.KubeDnsDeployment.WaitReadyAsync(client, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
                }
            }

            if (options.Network == NetworkMode.Contiv)
            {
                if (await ControlPlane.LabUi.StartAsync(lab, state, bins, taken, ct).ConfigureAwait(false))
                {
                    log($"contiv-ui on {ControlPlane.LabUi.Url(state)}");
                }
                else
                {
                    log("contiv-ui is not built: no web UI (scripts/build.sh builds it)");
                }
            }

            return state;
        }
        catch (Exception e) when (!options.KeepOnFailure && e is not OperationCanceledException)
        {
            log($"up failed, tearing down: {e.Message.Split('\n')[0]}");
            await LabTeardown.DownAsync(lab, _ => { }).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds <paramref name="count"/> nodes to a running lab (numbers after the highest existing one).</summary>
    public static async Task<IReadOnlyList<LabNode>> AddNodesAsync(LabInstance lab, int count, Action<string> log, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var mode = ParseMode(state.Network);
        var bins = LabBinaries.Locate();
        var taken = new HashSet<int>(state.Nodes.Select(n => n.RestPort)) { state.ApiServerPort, state.KsrPort, state.EtcdClientPort, state.EtcdPeerPort, state.UiPort };
        var next = state.Nodes.Count == 0 ? 1 : state.Nodes.Max(n => n.Index) + 1;
        var nodes = new List<LabNode>();
        for (var i = 0; i < count; i++)
        {
            nodes.Add(LabNodes.Create(lab, state, next + i, mode, bins, taken));
        }

        await StartNodesAsync(lab, state, nodes, mode, bins, log, ct).ConfigureAwait(false);
        if (state.UiPort != 0)
        {
            ControlPlane.LabUi.WriteConfig(lab, LabState.LoadRequired(lab));
        }

        return nodes;
    }

    /// <summary>
    /// Removes a node: stops its kubelet (its pods go through CNI DEL), agent and data plane, deletes
    /// the Kubernetes Node object (KSR then removes the node's ID and keys, and the other agents
    /// remove their tunnels to it), its pods' objects, its namespace, links and files.
    /// </summary>
    public static async Task RemoveNodeAsync(LabInstance lab, string nodeName, Action<string> log, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var node = state.FindNode(nodeName) ?? throw new ArgumentException($"node \"{nodeName}\" is not part of lab \"{lab.Name}\" (nodes: {string.Join(", ", state.Nodes.Select(n => n.Name))})");
        using var client = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        log($"removing {nodeName}: stopping its kubelet, agent and data plane");
        await LabNodes.RemoveAsync(lab, state, node, ParseMode(state.Network)).ConfigureAwait(false);

        // Pods bound to a node that is gone can never terminate gracefully: remove them at once.
        var pods = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=" + nodeName, cancellationToken: ct).ConfigureAwait(false);
        foreach (var pod in pods.Items)
        {
            await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, new k8s.Models.V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: ct).ConfigureAwait(false);
        }

        try
        {
            await client.CoreV1.DeleteNodeAsync(nodeName, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }

        if (state.UiPort != 0)
        {
            ControlPlane.LabUi.WriteConfig(lab, LabState.LoadRequired(lab));
        }

        log($"{nodeName} removed");
    }

    /// <summary>Restarts some of a node's daemons (<c>vpp</c>, <c>agent</c>, <c>kubelet</c>); pods keep running unless the kubelet restarts.</summary>
    public static async Task RestartNodeAsync(LabInstance lab, string nodeName, IReadOnlyCollection<string> components, Action<string> log, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var node = state.FindNode(nodeName) ?? throw new ArgumentException($"node \"{nodeName}\" is not part of lab \"{lab.Name}\"");
        if (state.Stn)
        {
            await StnNodes.RestartAsync(lab, state, node, components, log, ct).ConfigureAwait(false);
            return;
        }

        var mode = ParseMode(state.Network);
        var valid = LabNodes.Components(mode);
        foreach (var c in components)
        {
            if (!valid.Contains(c))
            {
                throw new ArgumentException($"component \"{c}\" is not one of {string.Join(", ", valid)} in a {state.Network} lab");
            }
        }

        var bins = LabBinaries.Locate();
        log($"restarting {string.Join(", ", components)} of {nodeName}");
        await LabNodes.StopAsync(lab, state, node, components).ConfigureAwait(false);
        if (components.Contains("vpp"))
        {
            await LabNodes.StartVppAsync(lab, state, node, bins, ct).ConfigureAwait(false);
        }

        if (components.Contains("agent"))
        {
            await LabNodes.StartAgentAsync(lab, state, node, bins, ct).ConfigureAwait(false);
            var agent = state.Processes.Find(p => p.Name == LabNodes.ProcessName("agent", node.Name))!;
            await LabNodes.WaitAgentReadyAsync(node, agent, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        }

        if (components.Contains("kubelet"))
        {
            LabNodes.StartKubelet(lab, state, node);
        }
    }

    /// <summary>Parses a network mode name.</summary>
    public static NetworkMode ParseMode(string text) => text.ToLowerInvariant() switch
    {
        "contiv" => NetworkMode.Contiv,
        "bridge" => NetworkMode.Bridge,
        _ => throw new ArgumentException($"network \"{text}\" is not contiv or bridge"),
    };

    private static void StartControllerManager(LabInstance lab, LabState state)
    {
        var record = DetachedProcess.Start(lab, "controller-manager", LabBinaries.Self,
            ["controller-manager", "--instance", lab.Name, "--kubeconfig", lab.KubeconfigPath], Path.Combine(lab.LogDir, "controller-manager.log"));
        LabControlPlane.Record(lab, state, record);
    }

    private static void StartScheduler(LabInstance lab, LabState state)
    {
        var record = DetachedProcess.Start(lab, "scheduler", LabBinaries.Self,
            ["scheduler", "--instance", lab.Name, "--kubeconfig", lab.KubeconfigPath], Path.Combine(lab.LogDir, "scheduler.log"));
        LabControlPlane.Record(lab, state, record);
    }

    private static async Task StartNodesAsync(LabInstance lab, LabState state, IReadOnlyList<LabNode> nodes, NetworkMode mode, LabBinaries bins, Action<string> log, CancellationToken ct)
    {
        if (state.Stn)
        {
            await StnNodes.StartAsync(lab, state, nodes, bins, log, ct).ConfigureAwait(false);
        }
        else if (mode == NetworkMode.Contiv)
        {
            log($"data planes: {string.Join(", ", nodes.Select(n => $"{n.Name} ({n.Netns}, {n.DataIp} on {LabTopology.DataLink})"))}");
            await Task.WhenAll(nodes.Select(n => LabNodes.StartVppAsync(lab, state, n, bins, ct))).ConfigureAwait(false);

            // One agent after the other: node IDs are allocated first-free, so node N gets ID N.
            foreach (var n in nodes)
            {
                log($"agent of {n.Name} (REST on 127.0.0.1:{n.RestPort})");
                await LabNodes.StartAgentAsync(lab, state, n, bins, ct).ConfigureAwait(false);
            }
        }

        if (state.Runtime == Kubelet.Cri.LabContainerd.RuntimeName)
        {
            log($"containerd (CRI) per node: {string.Join(", ", nodes.Select(n => Kubelet.Cri.LabContainerd.Socket(n)))}");
            await Task.WhenAll(nodes.Select(n => Kubelet.Cri.LabContainerd.StartAsync(lab, state, n, bins, ct))).ConfigureAwait(false);
        }

        foreach (var n in nodes)
        {
            LabNodes.StartKubelet(lab, state, n);
        }

        log($"kubelets: {string.Join(", ", nodes.Select(n => n.Name))}");
        using var client = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var n in nodes)
        {
            var kubelet = state.Processes.Find(p => p.Name == LabNodes.ProcessName("kubelet", n.Name))!;
            while (true)
            {
                if (!ProcessTable.IsAlive(kubelet.Pid, kubelet.StartTicks))
                {
                    throw new InvalidOperationException($"kubelet of {n.Name} exited while starting; last lines of {kubelet.LogFile}:\n{LabControlPlane.Tail(kubelet.LogFile, 15)}");
                }

                var node = (await client.CoreV1.ListNodeAsync(fieldSelector: "metadata.name=" + n.Name, cancellationToken: ct).ConfigureAwait(false)).Items.FirstOrDefault();
                if (node?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"node {n.Name} did not register within 60s; see {kubelet.LogFile}");
                }

                await Task.Delay(100, ct).ConfigureAwait(false);
            }

            if (mode == NetworkMode.Contiv)
            {
                // With STN the agent is contiv-init's child: contiv-init's record stands for it.
                var agent = state.Processes.Find(p => p.Name == LabNodes.ProcessName(state.Stn ? StnNodes.Init : "agent", n.Name))!;
                await LabNodes.WaitAgentReadyAsync(n, agent, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            }
        }
    }
}
