namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Kinds without rules of their own: stored as sent.</summary>
internal sealed class DefaultStrategy : IResourceStrategy
{
    /// <summary>The one instance.</summary>
    public static DefaultStrategy Instance { get; } = new();
}
