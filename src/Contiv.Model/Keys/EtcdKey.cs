namespace Contiv.Model;

/// <summary>
/// A parsed (or to-be-built) Contiv etcd key: its <see cref="Kind"/> plus the fields that pattern has.
/// Fields a pattern does not use stay at their defaults ("" / 0), so records compare by value and
/// <c>Keys.Parse(key.ToString()) == key</c> for every valid key.
/// </summary>
/// <param name="Kind">Which key pattern.</param>
public sealed record EtcdKey(KeyKind Kind)
{
    /// <summary>Object name: pod, service, endpoints, policy, node, namespace (for <see cref="KeyKind.Namespace"/>), CRD object, IPAM pod, id pool, election candidate.</summary>
    public string Name { get; init; } = "";

    /// <summary>Kubernetes namespace of namespaced objects (pod, service, endpoints, policy, sfc, custom-ipam).</summary>
    public string Namespace { get; init; } = "";

    /// <summary>Node ID of <see cref="KeyKind.VppNode"/> (allocatedIDs) keys, 0 otherwise.</summary>
    public uint NodeId { get; init; }

    /// <summary>Agent / microservice label of <see cref="KeyKind.AgentConfig"/> keys (a node name or a CNF's microservice label).</summary>
    public string Label { get; init; } = "";

    /// <summary>Model key of <see cref="KeyKind.AgentConfig"/> keys, starting with <c>config/</c> (e.g. <c>config/vpp/v2/interfaces/loop1</c>).</summary>
    public string Path { get; init; } = "";

    /// <summary>Builds the full etcd key (same as <see cref="Keys.Build(EtcdKey)"/>).</summary>
    /// <returns>The key, e.g. <c>/vnf-agent/contiv-ksr/k8s/pod/web-1/namespace/default</c>.</returns>
    /// <exception cref="ArgumentException">A field is empty, contains '/', or is otherwise invalid for the pattern.</exception>
    public string ToKey() => Keys.Build(this);

    /// <summary>The full etcd key, or a field dump when the fields do not form a valid key (never throws).</summary>
    /// <returns>The key or a description of the invalid record.</returns>
    public override string ToString()
    {
        try
        {
            return Keys.Build(this);
        }
        catch (ArgumentException ex)
        {
            return $"invalid {Kind} key (Name='{Name}', Namespace='{Namespace}', NodeId={NodeId}, Label='{Label}', Path='{Path}'): {ex.Message}";
        }
    }
}
