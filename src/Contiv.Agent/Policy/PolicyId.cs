namespace Contiv.Agent.Policy;

/// <summary>Identity of a NetworkPolicy.</summary>
/// <param name="Namespace">The policy's namespace.</param>
/// <param name="Name">The policy's name.</param>
internal readonly record struct PolicyId(string Namespace, string Name)
{
    /// <summary>"namespace/name".</summary>
    public override string ToString() => $"{Namespace}/{Name}";
}
