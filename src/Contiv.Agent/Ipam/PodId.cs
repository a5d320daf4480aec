namespace Contiv.Agent.Ipam;

/// <summary>Kubernetes identity of a pod.</summary>
internal readonly record struct PodId(string Name, string Namespace)
{
    /// <summary>"namespace/name".</summary>
    public override string ToString() => $"{Namespace}/{Name}";
}
