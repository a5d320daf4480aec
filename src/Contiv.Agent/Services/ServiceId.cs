namespace Contiv.Agent.Services;

/// <summary>Kubernetes identity of a Service (and of its Endpoints object, which shares it).</summary>
/// <param name="Namespace">Namespace.</param>
/// <param name="Name">Name.</param>
internal readonly record struct ServiceId(string Namespace, string Name) : IComparable<ServiceId>
{
    /// <summary>Ordinal order by namespace, then name: the tie-break when two services claim one NAT mapping.</summary>
    public int CompareTo(ServiceId other)
    {
        var c = string.CompareOrdinal(Namespace, other.Namespace);
        return c != 0 ? c : string.CompareOrdinal(Name, other.Name);
    }

    /// <summary>"namespace/name", the label of the service's NAT mappings (SPEC §3.2).</summary>
    public override string ToString() => $"{Namespace}/{Name}";
}
