using System.Text.Json;
using System.Text.Json.Serialization;

namespace Contiv.Lab.Lab;

/// <summary>
/// What a running lab consists of, persisted as <c>state.json</c> in the instance's state directory:
/// ports of the control plane, the nodes with their addresses and sockets, and every process the lab
/// started (pid plus kernel start time, so a recycled pid is never mistaken for a lab process).
/// Written atomically (temp file + rename) under an exclusive lock file.
/// </summary>
public sealed class LabState
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Instance name.</summary>
    public string Instance { get; set; } = LabInstance.DefaultName;

    /// <summary>When <c>up</c> started (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Pod network: <c>contiv</c> (the product) or <c>bridge</c> (kernel baseline).</summary>
    public string Network { get; set; } = "contiv";

    /// <summary>Seconds between periodic CNI CHECK calls of the kubelets; 0 = none.</summary>
    public int CniCheckIntervalSeconds { get; set; }

    /// <summary>True when etcd was given with <c>--etcd</c> (not started, not stopped by the lab).</summary>
    public bool ExternalEtcd { get; set; }

    /// <summary>True for <c>up --secure</c>: etcd with mutual TLS, REST over HTTPS with basic auth (<see cref="LabCertificates"/>).</summary>
    public bool Secure { get; set; }

    /// <summary>True for <c>up --stn</c>: one NIC per node, stolen by contiv-stn for the data plane, vSwitch run by contiv-init (docs/stn.md).</summary>
    public bool Stn { get; set; }
    /// <summary>True when the lab runs the cluster DNS (kube-system/kube-dns on 10.96.0.10); the kubelets then write the pods' resolv.conf.</summary>
    public bool ClusterDns { get; set; }
    /// <summary>What runs the pods: <c>process</c> or <c>containerd</c> (docs/lab.md, "containerd through CRI").</summary>
    public string Runtime { get; set; } = "process";

    /// <summary>etcd client URL (on 127.0.0.1 unless external).</summary>
    public string EtcdUrl { get; set; } = string.Empty;

    /// <summary>etcd client port on 127.0.0.1 (0 when external).</summary>
    public int EtcdClientPort { get; set; }

    /// <summary>etcd peer port on 127.0.0.1.</summary>
    public int EtcdPeerPort { get; set; }

    /// <summary>Lab API server port on 127.0.0.1.</summary>
    public int ApiServerPort { get; set; }

    /// <summary>contiv-ksr HTTP port (probes, stats) on 127.0.0.1.</summary>
    public int KsrPort { get; set; }

    /// <summary>contiv-ui port on 127.0.0.1 (0: not started).</summary>
    public int UiPort { get; set; }

    /// <summary>contiv-crd HTTP port (probes, metrics) on 127.0.0.1.</summary>
    public int CrdPort { get; set; }

    /// <summary>Namespaces created by the lab (lab namespace and node namespaces; pods are found by prefix).</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Nodes, in creation order.</summary>
    public List<LabNode> Nodes { get; set; } = [];

    /// <summary>Processes started by the lab.</summary>
    public List<LabProcessRecord> Processes { get; set; } = [];

    /// <summary>API server URL.</summary>
    [JsonIgnore]
    public Uri ApiServerUrl => new($"http://127.0.0.1:{ApiServerPort}/");

    /// <summary>Finds a node by name; null when absent.</summary>
    public LabNode? FindNode(string name) => Nodes.Find(n => n.Name == name);

    /// <summary>Reads the state file; null when the lab is not up.</summary>
    public static LabState? Load(LabInstance lab)
    {
        if (!File.Exists(lab.StateFile))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LabState>(File.ReadAllText(lab.StateFile), Json)
                ?? throw new InvalidDataException($"state file {lab.StateFile} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"state file {lab.StateFile} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads the state file or fails with a hint to run <c>up</c>.</summary>
    public static LabState LoadRequired(LabInstance lab)
        => Load(lab) ?? throw new InvalidOperationException(
            $"lab \"{lab.Name}\" is not up (no {lab.StateFile}); start it with: contiv-lab up"
            + (lab.Name == LabInstance.DefaultName ? string.Empty : $" --instance {lab.Name}"));

    /// <summary>Writes the state file atomically.</summary>
    public void Save(LabInstance lab)
    {
        Directory.CreateDirectory(lab.StateDir);
        var tmp = lab.StateFile + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, lab.StateFile, overwrite: true);

        // contiv-crd's topology validation re-reads the agents' URLs from here every round (docs/crd.md).
        var endpoints = AgentEndpointsFile(lab);
        File.WriteAllText(endpoints + ".tmp", string.Join(",", Nodes.OrderBy(n => n.Index).Select(n => $"{n.Name}={n.RestUrl}")));
        File.Move(endpoints + ".tmp", endpoints, overwrite: true);
    }

    /// <summary>The file holding <c>node1=URL,node2=URL</c> of every node's agent REST (contiv-crd's <c>--agent-endpoints @FILE</c>).</summary>
    public static string AgentEndpointsFile(LabInstance lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        return Path.Combine(lab.StateDir, "agent-endpoints");
    }

    /// <summary>
    /// Runs <paramref name="change"/> on the freshest state under the instance's lock file and saves
    /// it, so concurrent <c>contiv-lab</c> commands never lose each other's records.
    /// </summary>
    public static LabState Update(LabInstance lab, Action<LabState> change)
    {
        Directory.CreateDirectory(lab.StateDir);
        using var lockFile = AcquireLock(lab);
        var state = Load(lab) ?? new LabState { Instance = lab.Name, CreatedAt = DateTimeOffset.UtcNow };
        change(state);
        state.Save(lab);
        return state;
    }

    /// <summary>Holds the instance's lock file open exclusively (waits up to 30 s).</summary>
    public static FileStream AcquireLock(LabInstance lab)
    {
        Directory.CreateDirectory(lab.StateDir);
        var path = Path.Combine(lab.StateDir, "state.lock");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}

/// <summary>One node of the lab.</summary>
public sealed class LabNode
{
    /// <summary>Kubernetes node name, e.g. <c>node1</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Node number N: namespace <c>cl-nodeN</c>, data IP 192.168.16.N, management IP 192.168.56.N.</summary>
    public int Index { get; set; }

    /// <summary>The node's network namespace (its host network).</summary>
    public string Netns { get; set; } = string.Empty;

    /// <summary>Management address (Kubernetes InternalIP) on <c>mgmt0</c>.</summary>
    public string ManagementIp { get; set; } = string.Empty;

    /// <summary>Node interconnect address owned by the data plane on <c>data0</c> (AF_PACKET).</summary>
    public string DataIp { get; set; } = string.Empty;

    /// <summary>With <c>up --stn</c>: the node's only NIC (<c>eth0</c>), which contiv-stn steals; null otherwise.</summary>
    public string? StnInterface { get; set; }

    /// <summary>contiv-stn's socket (STN mode).</summary>
    public string StnSocket => Path.Combine(Dir, "stn.sock");

    /// <summary>The agent's REST port on 127.0.0.1.</summary>
    public int RestPort { get; set; }

    /// <summary>The lab's certificate directory when it is secure (REST over HTTPS); null otherwise.</summary>
    public string? TlsDir { get; set; }

    /// <summary>The agent's REST base URL (https in a secure lab).</summary>
    public string RestUrl => $"{(TlsDir is null ? "http" : "https")}://127.0.0.1:{RestPort}";

    /// <summary>The node's directory (configs, sockets, CNI files).</summary>
    public string Dir { get; set; } = string.Empty;

    /// <summary>Data plane control API socket.</summary>
    public string VppApiSocket => Path.Combine(Dir, "vpp-api.sock");

    /// <summary>Data plane debug CLI socket.</summary>
    public string VppCliSocket => Path.Combine(Dir, "vpp-cli.sock");

    /// <summary>The agent's CNI (RemoteCNI gRPC) socket.</summary>
    public string CniSocket => Path.Combine(Dir, "cni.sock");

    /// <summary>CNI configuration directory (holds the conflist).</summary>
    public string CniConfDir => Path.Combine(Dir, "net.d");

    /// <summary>CNI plugin directory (contiv-cni, portmap).</summary>
    public string CniBinDir => Path.Combine(Dir, "cni-bin");
}

/// <summary>A process started by the lab.</summary>
public sealed class LabProcessRecord
{
    /// <summary>Component name, e.g. <c>etcd</c>, <c>agent-node1</c>, <c>kubelet-node2</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Process id.</summary>
    public int Pid { get; set; }

    /// <summary>Kernel start time (clock ticks since boot, /proc/PID/stat field 22): tells a recycled pid apart.</summary>
    public long StartTicks { get; set; }

    /// <summary>Node the process belongs to, if any.</summary>
    public string? Node { get; set; }

    /// <summary>Log file of the process (stdout and stderr).</summary>
    public string LogFile { get; set; } = string.Empty;

    /// <summary>Status file of the supervisor (<see cref="Processes.SupervisedStatus"/>); null when the process is not supervised.</summary>
    public string? StatusFile { get; set; }
}
