using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;

namespace Contiv.Vpp;

// Per-interface feature enablement on the feature arcs (VPP's vnet_feature_enable_disable).
public sealed partial class Dataplane
{
    /// <summary>
    /// Enables or disables feature node <paramref name="feature"/> of arc <paramref name="arc"/> on
    /// <paramref name="intf"/>. The interface's chain is rebuilt at the barrier in the arc's declared
    /// order; enabling an enabled feature or disabling a disabled one changes nothing.
    /// </summary>
    /// <exception cref="DataplaneException">The arc is unknown or the node is not a feature on it.</exception>
    public void SetFeature(SwInterface intf, string arc, string feature, bool enable)
    {
        ArgumentNullException.ThrowIfNull(intf);
        var a = Graph.FindArc(arc) ?? throw new DataplaneException($"unknown feature arc '{arc}'");
        var node = Graph.Find(feature);
        if (node is null || a.PositionOf(node) < 0)
        {
            throw new DataplaneException($"'{feature}' is not a feature on arc {a.Name}");
        }

        Exclusive(() =>
        {
            var enabled = intf.EnabledFeatures[a.Index];
            if (enable ? enabled.Add(node.Index) : enabled.Remove(node.Index))
            {
                intf.FeatureChains[a.Index] = a.BuildChain(enabled);
            }
        });
    }

    /// <summary>Names of the features enabled on <paramref name="intf"/> on arc <paramref name="arc"/>, in the order packets visit them.</summary>
    public IReadOnlyList<string> EnabledFeatures(SwInterface intf, string arc)
    {
        ArgumentNullException.ThrowIfNull(intf);
        var a = Graph.FindArc(arc) ?? throw new DataplaneException($"unknown feature arc '{arc}'");
        return Exclusive(() =>
        {
            var chain = intf.FeatureChains[a.Index];
            var names = new List<string>(chain.Length);
            for (var i = 0; i + 1 < chain.Length; i++)
            {
                names.Add(Graph.Nodes[chain[i]].Name);
            }

            return (IReadOnlyList<string>)names;
        });
    }
}
