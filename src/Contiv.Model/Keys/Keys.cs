using System.Globalization;

namespace Contiv.Model;

/// <summary>
/// Builds and parses every etcd key Contiv uses (SPEC §1.2). KSR and CRD write under
/// <see cref="KsrPrefix"/>; every agent owns <c>/vnf-agent/{label}/</c> (label = node name).
/// </summary>
/// <remarks>
/// Name segments must be non-empty and free of '/'; builders throw <see cref="ArgumentException"/>
/// otherwise, parsers throw <see cref="FormatException"/> naming the key and what is wrong.
/// </remarks>
public static partial class Keys
{
    /// <summary>Root of all agent and KSR keys: <c>/vnf-agent/</c>.</summary>
    public const string AgentRoot = "/vnf-agent/";

    /// <summary>Microservice label of KSR and CRD: <c>contiv-ksr</c>.</summary>
    public const string KsrLabel = "contiv-ksr";

    /// <summary>Prefix of everything KSR/CRD/nodesync/ipam share: <c>/vnf-agent/contiv-ksr/</c> (the agent watches it).</summary>
    public const string KsrPrefix = AgentRoot + KsrLabel + "/";

    /// <summary>Relative prefix of the Kubernetes objects under <see cref="KsrPrefix"/>: <c>k8s/</c>.</summary>
    public const string K8sRelativePrefix = "k8s/";

    /// <summary>Prefix of Namespace keys.</summary>
    public const string NamespacePrefix = KsrPrefix + "k8s/namespace/";

    /// <summary>Prefix of Pod keys.</summary>
    public const string PodPrefix = KsrPrefix + "k8s/pod/";

    /// <summary>Prefix of Service keys.</summary>
    public const string ServicePrefix = KsrPrefix + "k8s/service/";

    /// <summary>Prefix of Endpoints keys.</summary>
    public const string EndpointsPrefix = KsrPrefix + "k8s/endpoints/";

    /// <summary>Prefix of NetworkPolicy keys.</summary>
    public const string PolicyPrefix = KsrPrefix + "k8s/policy/";

    /// <summary>Prefix of Node keys.</summary>
    public const string NodePrefix = KsrPrefix + "k8s/node/";

    /// <summary>Prefix of NodeConfig CRD keys.</summary>
    public const string NodeConfigPrefix = KsrPrefix + "k8s/nodeconfig/";

    /// <summary>Prefix of CustomNetwork CRD keys.</summary>
    public const string CustomNetworkPrefix = KsrPrefix + "k8s/customnetwork/";

    /// <summary>Prefix of ExternalInterface CRD keys.</summary>
    public const string ExternalInterfacePrefix = KsrPrefix + "k8s/external-interface/";

    /// <summary>Prefix of ServiceFunctionChain CRD keys.</summary>
    public const string ServiceFunctionChainPrefix = KsrPrefix + "k8s/servicefunctionchain/";

    /// <summary>Prefix of the SFC pod-to-node map written by KSR.</summary>
    public const string SfcPrefix = KsrPrefix + "sfc-controller/v2/status/network-pod-to-node-map/";

    /// <summary>Key of the KSR statistics (<c>ksrapi.Stats</c>), written every second.</summary>
    public const string KsrStatsKey = KsrPrefix + "status/gauges";

    /// <summary>Prefix of node ID allocations (<c>vppnode.VppNode</c>).</summary>
    public const string VppNodePrefix = KsrPrefix + "allocatedIDs/";

    /// <summary>Prefix of custom pod interface IP allocations (<c>ipalloc.CustomIPAllocation</c>).</summary>
    public const string CustomIpamPrefix = KsrPrefix + "custom-ipam/";

    /// <summary>Prefix of cluster-wide ID pools (<c>idallocation.AllocationPool</c>).</summary>
    public const string IdAllocPrefix = KsrPrefix + "idalloc/";

    /// <summary>Name of the VXLAN VNI pool (custom networks).</summary>
    public const string VniPool = "vni";

    /// <summary>Name of the VRF ID pool (L3 custom networks).</summary>
    public const string VrfPool = "vrf";

    /// <summary>etcd election prefix KSR and CRD campaign on.</summary>
    public const string KsrElectionPrefix = "/contiv-ksr/election";

    /// <summary>Key the agent GETs every few seconds to probe the etcd connection; it never exists.</summary>
    public const string EtcdProbeKey = "/probe-etcd-connection";

    /// <summary>First segment of agent external-configuration keys: <c>config/</c>.</summary>
    public const string ConfigRelativePrefix = "config/";

    private const string NamespaceSegment = "namespace";
    private const string SfcNamespaceSeparator = "-namespace-";

    /// <summary>
    /// The agent's resources under <see cref="KsrPrefix"/> (the original dbresources list):
    /// keyword → prefix relative to <see cref="KsrPrefix"/> → key kind.
    /// </summary>
    public static IReadOnlyList<(string Keyword, string RelativePrefix, KeyKind Kind)> AgentResources { get; } =
    [
        ("vppnode", "allocatedIDs/", KeyKind.VppNode),
        ("nodeconfig", "k8s/nodeconfig/", KeyKind.NodeConfig),
        ("node", "k8s/node/", KeyKind.Node),
        ("pod", "k8s/pod/", KeyKind.Pod),
        ("namespace", "k8s/namespace/", KeyKind.Namespace),
        ("policy", "k8s/policy/", KeyKind.Policy),
        ("service", "k8s/service/", KeyKind.Service),
        ("endpoints", "k8s/endpoints/", KeyKind.Endpoints),
        ("customnetwork", "k8s/customnetwork/", KeyKind.CustomNetwork),
        ("external-interface", "k8s/external-interface/", KeyKind.ExternalInterface),
        ("servicefunctionchain", "k8s/servicefunctionchain/", KeyKind.ServiceFunctionChain),
        ("custom-ipam", "custom-ipam/", KeyKind.CustomIpam),
        ("idalloc", "idalloc/", KeyKind.IdAllocPool),
    ];

    /// <summary>Key of a Namespace: <c>/vnf-agent/contiv-ksr/k8s/namespace/{ns}</c>.</summary>
    /// <param name="name">Namespace name.</param>
    /// <returns>The etcd key.</returns>
    public static string Namespace(string name) => NamespacePrefix + Segment(name, nameof(name));

    /// <summary>Key of a Pod: <c>/vnf-agent/contiv-ksr/k8s/pod/{name}/namespace/{ns}</c>.</summary>
    /// <param name="name">Pod name.</param>
    /// <param name="ns">Pod namespace.</param>
    /// <returns>The etcd key.</returns>
    public static string Pod(string name, string ns) => Namespaced(PodPrefix, name, ns);

    /// <summary>Key of a Service: <c>/vnf-agent/contiv-ksr/k8s/service/{name}/namespace/{ns}</c>.</summary>
    /// <param name="name">Service name.</param>
    /// <param name="ns">Service namespace.</param>
    /// <returns>The etcd key.</returns>
    public static string Service(string name, string ns) => Namespaced(ServicePrefix, name, ns);

    /// <summary>Key of an Endpoints object: <c>/vnf-agent/contiv-ksr/k8s/endpoints/{name}/namespace/{ns}</c>.</summary>
    /// <param name="name">Endpoints (= service) name.</param>
    /// <param name="ns">Namespace.</param>
    /// <returns>The etcd key.</returns>
    public static string Endpoints(string name, string ns) => Namespaced(EndpointsPrefix, name, ns);

    /// <summary>Key of a NetworkPolicy: <c>/vnf-agent/contiv-ksr/k8s/policy/{name}/namespace/{ns}</c>.</summary>
    /// <param name="name">Policy name.</param>
    /// <param name="ns">Policy namespace.</param>
    /// <returns>The etcd key.</returns>
    public static string Policy(string name, string ns) => Namespaced(PolicyPrefix, name, ns);

    /// <summary>Key of a Node: <c>/vnf-agent/contiv-ksr/k8s/node/{node}</c>.</summary>
    /// <param name="name">Node name.</param>
    /// <returns>The etcd key.</returns>
    public static string Node(string name) => NodePrefix + Segment(name, nameof(name));

    /// <summary>Key of an SFC pod entry: <c>.../network-pod-to-node-map/{pod}-namespace-{ns}</c>.</summary>
    /// <param name="pod">Pod name.</param>
    /// <param name="ns">Pod namespace.</param>
    /// <returns>The etcd key.</returns>
    /// <remarks>The pattern is ambiguous when the pod name itself contains <c>-namespace-</c>; parsing splits at the first occurrence.</remarks>
    public static string Sfc(string pod, string ns) =>
        SfcPrefix + Segment(pod, nameof(pod)) + SfcNamespaceSeparator + Segment(ns, nameof(ns));

    /// <summary>Key of a NodeConfig CRD: <c>/vnf-agent/contiv-ksr/k8s/nodeconfig/{node}</c>.</summary>
    /// <param name="name">NodeConfig object name (the node name).</param>
    /// <returns>The etcd key.</returns>
    public static string NodeConfig(string name) => NodeConfigPrefix + Segment(name, nameof(name));

    /// <summary>Key of a CustomNetwork CRD: <c>/vnf-agent/contiv-ksr/k8s/customnetwork/{name}</c>.</summary>
    /// <param name="name">Network name.</param>
    /// <returns>The etcd key.</returns>
    public static string CustomNetwork(string name) => CustomNetworkPrefix + Segment(name, nameof(name));

    /// <summary>Key of an ExternalInterface CRD: <c>/vnf-agent/contiv-ksr/k8s/external-interface/{name}</c>.</summary>
    /// <param name="name">External interface name.</param>
    /// <returns>The etcd key.</returns>
    public static string ExternalInterface(string name) => ExternalInterfacePrefix + Segment(name, nameof(name));

    /// <summary>Key of a ServiceFunctionChain CRD: <c>/vnf-agent/contiv-ksr/k8s/servicefunctionchain/{name}</c>.</summary>
    /// <param name="name">Chain name.</param>
    /// <returns>The etcd key.</returns>
    public static string ServiceFunctionChain(string name) => ServiceFunctionChainPrefix + Segment(name, nameof(name));

    /// <summary>Key of a node ID allocation: <c>/vnf-agent/contiv-ksr/allocatedIDs/{nodeID}</c>.</summary>
    /// <param name="nodeId">Node ID, ≥ 1.</param>
    /// <returns>The etcd key.</returns>
    public static string VppNode(uint nodeId)
    {
        if (nodeId == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId, "node ID must be at least 1 (IDs are allocated from 1)");
        }

        return VppNodePrefix + nodeId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Key of a custom interface IP allocation: <c>/vnf-agent/contiv-ksr/custom-ipam/{podName}/{podNamespace}</c>.</summary>
    /// <param name="podName">Pod name.</param>
    /// <param name="podNamespace">Pod namespace.</param>
    /// <returns>The etcd key.</returns>
    public static string CustomIpam(string podName, string podNamespace) =>
        CustomIpamPrefix + Segment(podName, nameof(podName)) + "/" + Segment(podNamespace, nameof(podNamespace));

    /// <summary>Key of an ID pool: <c>/vnf-agent/contiv-ksr/idalloc/{pool}</c> (pools <see cref="VniPool"/>, <see cref="VrfPool"/>).</summary>
    /// <param name="pool">Pool name.</param>
    /// <returns>The etcd key.</returns>
    public static string IdAllocPool(string pool) => IdAllocPrefix + Segment(pool, nameof(pool));

    /// <summary>Prefix an agent (or CNF microservice) owns: <c>/vnf-agent/{label}/</c>.</summary>
    /// <param name="label">Agent label: the node name, or a CNF's microservice label.</param>
    /// <returns>The prefix, with a trailing '/'.</returns>
    public static string AgentPrefix(string label) => AgentRoot + Segment(label, nameof(label)) + "/";

    /// <summary>Prefix of an agent's external configuration: <c>/vnf-agent/{label}/config/</c>.</summary>
    /// <param name="label">Agent label.</param>
    /// <returns>The prefix, with a trailing '/'.</returns>
    public static string AgentConfigPrefix(string label) => AgentPrefix(label) + ConfigRelativePrefix;

    /// <summary>Key of one external-configuration item: <c>/vnf-agent/{label}/{modelKey}</c>.</summary>
    /// <param name="label">Agent label (node name or microservice label).</param>
    /// <param name="modelKey">vpp-agent model key starting with <c>config/</c>, e.g. <c>config/vpp/v2/interfaces/loop1</c>.</param>
    /// <returns>The etcd key.</returns>
    public static string AgentConfig(string label, string modelKey)
    {
        ArgumentNullException.ThrowIfNull(modelKey);
        var problem = ConfigPathProblem(modelKey);
        if (problem is not null)
        {
            throw new ArgumentException($"agent config model key '{modelKey}' {problem}", nameof(modelKey));
        }

        return AgentPrefix(label) + modelKey;
    }

    /// <summary>Builds the key an <see cref="EtcdKey"/> describes.</summary>
    /// <param name="key">The parsed or hand-made key.</param>
    /// <returns>The full etcd key.</returns>
    /// <exception cref="ArgumentException">A field the pattern needs is empty, contains '/', or is out of range.</exception>
    public static string Build(EtcdKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Kind switch
        {
            KeyKind.Namespace => Namespace(key.Name),
            KeyKind.Pod => Pod(key.Name, key.Namespace),
            KeyKind.Service => Service(key.Name, key.Namespace),
            KeyKind.Endpoints => Endpoints(key.Name, key.Namespace),
            KeyKind.Policy => Policy(key.Name, key.Namespace),
            KeyKind.Node => Node(key.Name),
            KeyKind.Sfc => Sfc(key.Name, key.Namespace),
            KeyKind.KsrStats => KsrStatsKey,
            KeyKind.NodeConfig => NodeConfig(key.Name),
            KeyKind.CustomNetwork => CustomNetwork(key.Name),
            KeyKind.ExternalInterface => ExternalInterface(key.Name),
            KeyKind.ServiceFunctionChain => ServiceFunctionChain(key.Name),
            KeyKind.VppNode => VppNode(key.NodeId),
            KeyKind.CustomIpam => CustomIpam(key.Name, key.Namespace),
            KeyKind.IdAllocPool => IdAllocPool(key.Name),
            KeyKind.AgentConfig => AgentConfig(key.Label, key.Path),
            KeyKind.KsrElection => key.Name.Length == 0
                ? KsrElectionPrefix
                : KsrElectionPrefix + "/" + Segment(key.Name, "Name"),
            KeyKind.EtcdProbe => EtcdProbeKey,
            _ => throw new ArgumentException($"unknown key kind {key.Kind}", nameof(key)),
        };
    }

    /// <summary>Strips <see cref="KsrPrefix"/> from a full key (the form the agent's KubeStateChange carries).</summary>
    /// <param name="key">A key under <see cref="KsrPrefix"/>.</param>
    /// <returns>The key relative to the KSR prefix, e.g. <c>k8s/pod/web-1/namespace/default</c>.</returns>
    /// <exception cref="FormatException">The key is not under <see cref="KsrPrefix"/>.</exception>
    public static string KsrRelative(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.StartsWith(KsrPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"etcd key '{key}' is not under the KSR prefix {KsrPrefix}");
        }

        return key[KsrPrefix.Length..];
    }

    private static string Namespaced(string prefix, string name, string ns) =>
        prefix + Segment(name, nameof(name)) + "/" + NamespaceSegment + "/" + Segment(ns, nameof(ns));

    private static string Segment(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (value.Length == 0)
        {
            throw new ArgumentException($"{paramName} must not be empty in an etcd key", paramName);
        }

        if (value.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{paramName} '{value}' must not contain '/' in an etcd key", paramName);
        }

        return value;
    }

    // null when the model key is acceptable, else what is wrong with it.
    private static string? ConfigPathProblem(string path)
    {
        if (!path.StartsWith(ConfigRelativePrefix, StringComparison.Ordinal))
        {
            return $"does not start with '{ConfigRelativePrefix}'";
        }

        if (path.Length == ConfigRelativePrefix.Length)
        {
            return "has nothing after 'config/'";
        }

        if (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal))
        {
            return "has an empty segment";
        }

        return null;
    }
}
