namespace Contiv.Model;

/// <summary>The etcd key patterns of Contiv (SPEC §1.2); the kind of an <see cref="EtcdKey"/>.</summary>
public enum KeyKind
{
    /// <summary><c>/vnf-agent/contiv-ksr/k8s/namespace/{ns}</c> → <c>namespace.Namespace</c>; <see cref="EtcdKey.Name"/> = ns.</summary>
    Namespace,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/pod/{name}/namespace/{ns}</c> → <c>pod.Pod</c>.</summary>
    Pod,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/service/{name}/namespace/{ns}</c> → <c>service.Service</c>.</summary>
    Service,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/endpoints/{name}/namespace/{ns}</c> → <c>endpoints.Endpoints</c>.</summary>
    Endpoints,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/policy/{name}/namespace/{ns}</c> → <c>policy.Policy</c>.</summary>
    Policy,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/node/{node}</c> → <c>node.Node</c>.</summary>
    Node,

    /// <summary><c>/vnf-agent/contiv-ksr/sfc-controller/v2/status/network-pod-to-node-map/{pod}-namespace-{ns}</c> → <c>sfc.Sfc</c>.</summary>
    Sfc,

    /// <summary><c>/vnf-agent/contiv-ksr/status/gauges</c> → <c>ksrapi.Stats</c>; no fields.</summary>
    KsrStats,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/nodeconfig/{node}</c> → <c>model.NodeConfig</c>.</summary>
    NodeConfig,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/customnetwork/{name}</c> → <c>model.CustomNetwork</c>.</summary>
    CustomNetwork,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/external-interface/{name}</c> → <c>model.ExternalInterface</c>.</summary>
    ExternalInterface,

    /// <summary><c>/vnf-agent/contiv-ksr/k8s/servicefunctionchain/{name}</c> → <c>model.ServiceFunctionChain</c>.</summary>
    ServiceFunctionChain,

    /// <summary><c>/vnf-agent/contiv-ksr/allocatedIDs/{nodeID}</c> → <c>vppnode.VppNode</c>; <see cref="EtcdKey.NodeId"/> ≥ 1.</summary>
    VppNode,

    /// <summary><c>/vnf-agent/contiv-ksr/custom-ipam/{podName}/{podNamespace}</c> → <c>ipalloc.CustomIPAllocation</c>.</summary>
    CustomIpam,

    /// <summary><c>/vnf-agent/contiv-ksr/idalloc/{pool}</c> → <c>idallocation.AllocationPool</c>; <see cref="EtcdKey.Name"/> = pool.</summary>
    IdAllocPool,

    /// <summary><c>/vnf-agent/{label}/config/...</c> (vpp-agent NB model or raw JSON); <see cref="EtcdKey.Label"/> and <see cref="EtcdKey.Path"/>.</summary>
    AgentConfig,

    /// <summary><c>/contiv-ksr/election</c> or a candidate key under it; <see cref="EtcdKey.Name"/> = candidate suffix or empty.</summary>
    KsrElection,

    /// <summary><c>/probe-etcd-connection</c>: the key the agent GETs to probe etcd (never exists).</summary>
    EtcdProbe,
}
