namespace Contiv.Vpp.Graph;

/// <summary>
/// Declares a graph node as a feature on an arc (VPP's <c>VNET_FEATURE_INIT</c>). The node itself is
/// registered with <see cref="NodeGraph.Add"/>; ordering constraints name other features of the same arc.
/// </summary>
/// <param name="Arc">Arc name (<see cref="FeatureArcs.Ip4UnicastName"/>, <see cref="FeatureArcs.Ip4OutputName"/>).</param>
/// <param name="Node">Name of the feature's graph node.</param>
public sealed record FeatureRegistration(string Arc, string Node)
{
    /// <summary>Features this one must run before (when they are registered on the arc).</summary>
    public IReadOnlyList<string> RunsBefore { get; init; } = [];

    /// <summary>Features this one must run after (when they are registered on the arc).</summary>
    public IReadOnlyList<string> RunsAfter { get; init; } = [];
}
