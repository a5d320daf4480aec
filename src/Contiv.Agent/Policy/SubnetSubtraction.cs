using Contiv.Linux;

namespace Contiv.Agent.Policy;

/// <summary>
/// ipBlock <c>except</c> (SPEC §3.3): a network minus excluded networks as the fewest prefixes that cover exactly
/// what remains, found by halving the network wherever an exclusion overlaps part of it.
/// </summary>
internal static class SubnetSubtraction
{
    /// <summary>
    /// <paramref name="network"/> without <paramref name="excluded"/>, as prefixes in address order; empty when an
    /// exclusion covers it all. At most 32 prefixes per exclusion (one per halving).
    /// </summary>
    public static List<Ip4Prefix> Subtract(Ip4Prefix network, IReadOnlyList<Ip4Prefix> excluded)
    {
        ArgumentNullException.ThrowIfNull(excluded);
        var result = new List<Ip4Prefix>();
        Split(new Ip4Prefix(network.Network, network.Length), excluded, result);
        return result;
    }

    private static void Split(Ip4Prefix net, IReadOnlyList<Ip4Prefix> excluded, List<Ip4Prefix> result)
    {
        var partial = false;
        foreach (var e in excluded)
        {
            if (e.Length <= net.Length && e.Contains(net.Network))
            {
                return; // this part is excluded entirely
            }

            if (e.Length > net.Length && net.Contains(e.Network))
            {
                partial = true;
            }
        }

        if (!partial)
        {
            result.Add(net);
            return;
        }

        var half = net.Length + 1;
        Split(new Ip4Prefix(net.Network, half), excluded, result);
        Split(new Ip4Prefix(new Ip4(net.Network.Value | (1u << (32 - half))), half), excluded, result);
    }
}
