using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Contiv.Lab.ControlPlane;
using Contiv.Lab.Lab;
using Contiv.Lab.Network;
using Contiv.Lab.Processes;
using Contiv.Linux;

namespace Contiv.Lab.Nodes;

/// <summary>
/// Brings lab nodes up and down: the node's namespace and links, its files, and its daemons, all
/// started in the root namespace with <c>--netns cl-nodeN</c> (DESIGN.md "The lab"):
/// <c>contiv-vpp</c> (owns <c>data0</c> through AF_PACKET), <c>contiv-agent</c> (etcd, the data
/// plane's API socket, the CNI socket, REST on 127.0.0.1) and the kubelet stand-in.
/// </summary>
public static class LabNodes
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    // contiv-init stops the agent (up to 10 s), the data plane and gives the NIC back before it exits.
    private static readonly TimeSpan VswitchStopGrace = TimeSpan.FromSeconds(25);

    /// <summary>Component names of a node's processes, in start order.</summary>
    public static IReadOnlyList<string> Components(NetworkMode mode)
        => mode == NetworkMode.Contiv ? ["vpp", "agent", "kubelet"] : ["kubelet"];

    /// <summary>Component names of a node's processes in a lab of <paramref name="state"/>'s kind (<c>up --stn</c>: contiv-stn, contiv-init, kubelet).</summary>
    public static IReadOnlyList<string> Components(LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Stn ? StnNodes.Components : Components(LabLifecycle.ParseMode(state.Network));
    }

    /// <summary>Process name of a node component, e.g. <c>agent-node1</c>.</summary>
    public static string ProcessName(string component, string node) => $"{component}-{node}";

    /// <summary>Creates node N (namespace, links, files) and records it; daemons are started separately.</summary>
    public static LabNode Create(LabInstance lab, LabState state, int index, NetworkMode mode, LabBinaries bins, ISet<int> takenPorts)
    {
        var name = $"node{index}";
        var node = new LabNode
        {
            Name = name,
            Index = index,
            Netns = lab.NodeNetns(index),
            ManagementIp = LabTopology.ManagementIp(index),
            DataIp = LabTopology.DataIp(index),
            RestPort = Ports.Pick(lab.Name == LabInstance.DefaultName ? 9990 + index : null, takenPorts),
            Dir = lab.NodeDir(name),
            TlsDir = state.Secure ? LabCertificates.Of(lab).Directory : null,
        };
        if (state.Stn)
        {
            // One NIC for everything: the node IP is the management IP too.
            node.ManagementIp = node.DataIp;
            node.StnInterface = StnUnderlay.NodeLink;
            StnUnderlay.AddNode(lab, index);
        }
        else
        {
            LabTopology.AddNode(lab, index);
        }

        state.Namespaces.Add(node.Netns);
        state.Nodes.Add(node);
        LabState.Update(lab, s =>
        {
            s.Namespaces.Add(node.Netns);
            s.Nodes.RemoveAll(n => n.Name == name);
            s.Nodes.Add(node);
        });
        NodeFiles.Write(node, mode, bins);
        if (mode == NetworkMode.Bridge)
        {
            RouteBridgeSubnets(state);
        }
        else
        {
            CreateMasqueradeMarkChain(node);
        }

        return node;
    }

    /// <summary>Starts the data plane of a node and waits for its API socket.</summary>
    public static async Task StartVppAsync(LabInstance lab, LabState state, LabNode node, LabBinaries bins, CancellationToken ct)
    {
        var record = Start(lab, state, "vpp", node, bins.Path("contiv-vpp"), VppArguments(node));
        await WaitForAsync("contiv-vpp", record, () => File.Exists(node.VppApiSocket), TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>Starts the agent of a node and waits until it allocated its node ID in etcd.</summary>
    public static async Task StartAgentAsync(LabInstance lab, LabState state, LabNode node, LabBinaries bins, CancellationToken ct)
    {
        var record = Start(lab, state, "agent", node, bins.Path("contiv-agent"), AgentArguments(lab, state, node), AgentEnvironment(node));
        await WaitForAsync("contiv-agent", record, () => HasNodeIdAsync(state, node.Name).GetAwaiter().GetResult(), TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
    }

    /// <summary>The data plane's arguments for a node.</summary>
    internal static string[] VppArguments(LabNode node) =>
    [
        "--netns", node.Netns,
        "--api-socket", node.VppApiSocket,
        "--cli-socket", node.VppCliSocket,
        "--workers", "1",
    ];

    /// <summary>The agent's environment for a node.</summary>
    internal static Dictionary<string, string> AgentEnvironment(LabNode node) => new() { ["MICROSERVICE_LABEL"] = node.Name };

    /// <summary>The agent's arguments for a node.</summary>
    internal static string[] AgentArguments(LabInstance lab, LabState state, LabNode node)
    {
        string[] args =
        [
            "--config", NodeFiles.ContivConf(node),
            "--node-name", node.Name,
            "--etcd", state.EtcdUrl,
            "--netns", node.Netns,
            "--vpp-api-socket", node.VppApiSocket,
            "--cni-socket", node.CniSocket,
            "--rest-port", node.RestPort.ToString(CultureInfo.InvariantCulture),
            "--rest-address", "127.0.0.1",
            "--state-dir", Path.Combine(node.Dir, "agent"),
            .. LabSecurity.AgentArguments(lab, state),
        ];
        return args;
    }

    /// <summary>Starts the kubelet stand-in of a node (a <c>contiv-lab kubelet</c> process).</summary>
    public static LabProcessRecord StartKubelet(LabInstance lab, LabState state, LabNode node)
    {
        string[] args =
        [
            "kubelet",
            "--instance", lab.Name,
            "--node", node.Name,
            "--node-netns", node.Netns,
            "--host-ip", node.ManagementIp,
            "--kubeconfig", lab.KubeconfigPath,
            "--cni-conf-dir", node.CniConfDir,
            "--cni-bin-dir", node.CniBinDir + ":" + LabBinaries.SystemCniDir,
            "--state-dir", Path.Combine(node.Dir, "kubelet"),
            "--cni-check-interval", state.CniCheckIntervalSeconds.ToString(CultureInfo.InvariantCulture),
        ];
        if (state.ClusterDns)
        {
            // Services (and so the cluster DNS Service) exist only where the data plane implements them.
            args = [.. args, "--cluster-dns", Dns.KubeDnsDeployment.ClusterIp, "--cluster-domain", Dns.KubeDnsDeployment.Domain];
        }

        if (state.Runtime == Kubelet.Cri.LabContainerd.RuntimeName)
        {
            args = [.. args, "--container-runtime-endpoint", Kubelet.Cri.LabContainerd.Endpoint(node)];
        }

        return Start(lab, state, "kubelet", node, LabBinaries.Self, args);
    }

    /// <summary>Waits until the agent answers its readiness probe on REST.</summary>
    public static Task WaitAgentReadyAsync(LabNode node, LabProcessRecord agent, TimeSpan timeout, CancellationToken ct)
        => LabControlPlane.WaitHttpAsync($"contiv-agent of {node.Name}", agent, $"{node.RestUrl}/readiness", _ => true, timeout, ct, LabSecurity.HttpClient(node.TlsDir));

    /// <summary>Stops a node's daemons (kubelet first, so pods are removed through CNI while the agent still runs).</summary>
    public static async Task StopAsync(LabInstance lab, LabState state, LabNode node, IEnumerable<string>? components = null)
    {
        var wanted = (components ?? ["kubelet", "containerd", "agent", "vpp", StnNodes.Init, StnNodes.Stn]).ToList();
        foreach (var component in new[] { "kubelet", "containerd", "agent", "vpp", StnNodes.Init, StnNodes.Stn }.Where(wanted.Contains))
        {
            var name = ProcessName(component, node.Name);
            var record = state.Processes.Find(p => p.Name == name);
            if (record is null)
            {
                continue;
            }

            await DetachedProcess.StopAsync(record, component switch
            {
                "kubelet" => TimeSpan.FromSeconds(30),
                StnNodes.Init => VswitchStopGrace,
                _ => TimeSpan.FromSeconds(5),
            }).ConfigureAwait(false);
            state.Processes.Remove(record);
            LabState.Update(lab, s => s.Processes.RemoveAll(p => p.Name == name));
        }
    }

    /// <summary>Removes a node completely: daemons, namespace, links, files and its record.</summary>
    public static async Task RemoveAsync(LabInstance lab, LabState state, LabNode node, NetworkMode mode)
    {
        await StopAsync(lab, state, node).ConfigureAwait(false);
        // Pods whose kubelet could not remove them (it crashed): their sandbox records name the namespaces.
        var sandboxes = Path.Combine(node.Dir, "kubelet", "sandboxes");
        foreach (var record in Kubelet.SandboxRecord.LoadAll(sandboxes, _ => { }).Where(r => !r.HostNetwork))
        {
            LabTopology.KillProcessesIn(record.Netns);
            if (NetworkNamespace.Exists(record.Netns))
            {
                NetworkNamespace.Delete(record.Netns);
            }
        }

        LabTopology.RemoveNode(lab, node.Index);
        if (Directory.Exists(node.Dir))
        {
            Directory.Delete(node.Dir, recursive: true);
        }

        state.Nodes.Remove(node);
        state.Namespaces.Remove(node.Netns);
        LabState.Update(lab, s =>
        {
            s.Nodes.RemoveAll(n => n.Name == node.Name);
            s.Namespaces.Remove(node.Netns);
            s.Processes.RemoveAll(p => p.Node == node.Name);
        });
        if (mode == NetworkMode.Bridge)
        {
            RouteBridgeSubnets(state);
        }
    }

    /// <summary>Bridge mode: in every node namespace, a kernel route to every other node's pod subnet over the management network.</summary>
    public static void RouteBridgeSubnets(LabState state)
    {
        foreach (var node in state.Nodes)
        {
            using var ns = NetworkNamespace.Open(node.Netns);
            NetworkSysctl.Write(ns, "net.ipv4.ip_forward", "1");
            using var nl = RtNetlink.Open(ns);
            var mgmt = nl.GetLinkIndex(LabTopology.ManagementLink);
            foreach (var route in nl.GetRoutes().Where(r => r.Destination.BaseAddress.ToString().StartsWith("10.1.", StringComparison.Ordinal) && r.OutputInterface == mgmt))
            {
                nl.DeleteRoute(route);
            }

            foreach (var other in state.Nodes.Where(o => o.Index != node.Index))
            {
                nl.ReplaceRoute(new Route
                {
                    Destination = new IPNetwork(IPAddress.Parse($"10.1.{other.Index}.0"), 24),
                    Gateway = IPAddress.Parse(other.ManagementIp),
                    OutputInterface = mgmt,
                });
            }
        }
    }

    /// <summary>
    /// What kube-proxy provides on a real node and Contiv's conflist relies on: the nat chain
    /// <c>KUBE-MARK-MASQ</c> (marks 0x4000) that <c>portmap</c> jumps to for <c>hostPort</c> pods.
    /// Created in the node's namespace only, with the system's iptables.
    /// </summary>
    private static void CreateMasqueradeMarkChain(LabNode node)
    {
        foreach (var rule in new[] { "-t nat -N KUBE-MARK-MASQ", "-t nat -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000" })
        {
            var psi = new System.Diagnostics.ProcessStartInfo(LabBinaries.Nsenter) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "--net=/run/netns/" + node.Netns, "--", "iptables", "-w" }.Concat(rule.Split(' ')))
            {
                psi.ArgumentList.Add(a);
            }

            using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("cannot run iptables");
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"iptables {rule} in {node.Netns} failed ({p.ExitCode}): {err.Trim()}");
            }
        }
    }

    /// <summary>True when etcd holds an <c>allocatedIDs</c> entry naming <paramref name="nodeName"/>.</summary>
    public static async Task<bool> HasNodeIdAsync(LabState state, string nodeName)
    {
        const string prefix = "/vnf-agent/contiv-ksr/allocatedIDs/";
        try
        {
            var body = new Dictionary<string, string>
            {
                ["key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix)),
                ["range_end"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix[..^1] + "0")),
            };
            var http = state.Secure ? LabSecurity.HttpClient(LabCertificates.Of(LabInstance.Resolve(state.Instance)).Directory, restCredentials: false) : Http;
            using var resp = await http.PostAsJsonAsync(new Uri(state.EtcdUrl + "/v3/kv/range"), body).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync().ConfigureAwait(false));
            if (!doc.RootElement.TryGetProperty("kvs", out var kvs))
            {
                return false;
            }

            foreach (var kv in kvs.EnumerateArray())
            {
                var value = Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("value").GetString() ?? string.Empty));
                using var v = JsonDocument.Parse(value);
                if (v.RootElement.TryGetProperty("name", out var n) && n.GetString() == nodeName)
                {
                    return true;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or FormatException)
        {
        }

        return false;
    }

    /// <summary>Starts a node component under the lab's supervisor and records it.</summary>
    internal static LabProcessRecord Start(LabInstance lab, LabState state, string component, LabNode node, string file, IEnumerable<string> args, IDictionary<string, string>? env = null, bool killOrphans = false)
    {
        var name = ProcessName(component, node.Name);
        var record = DetachedProcess.Start(lab, name, file, args, Path.Combine(lab.LogDir, name + ".log"), node.Name, env, killOrphans: killOrphans);
        LabControlPlane.Record(lab, state, record);
        return record;
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails at once when the process exits meanwhile.</summary>
    internal static async Task WaitForAsync(string what, LabProcessRecord record, Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (condition())
            {
                return;
            }

            if (DetachedProcess.ExitedWhileStarting(record) is { } exited)
            {
                throw new InvalidOperationException($"{what} for {record.Node} exited while starting ({exited}); last lines of {record.LogFile}:\n{LabControlPlane.Tail(record.LogFile, 15)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        throw new TimeoutException($"{what} for {record.Node} not ready after {timeout.TotalSeconds:0}s; see {record.LogFile}:\n{LabControlPlane.Tail(record.LogFile, 15)}");
    }
}
