namespace Contiv.Init;

/// <summary>Which NIC this node's data plane steals (SPEC §1.6): node <c>stealInterface</c> &gt; global &gt; <c>stealFirstNIC</c>.</summary>
internal static class StnInterfaceChoice
{
    /// <summary>The interface to steal, or null when STN is off for this node.</summary>
    /// <param name="settings">contiv.conf's STN knobs.</param>
    /// <param name="nodeName">This node's name.</param>
    /// <param name="hostLinks">Names of the host's links in index order (only read for stealFirstNIC).</param>
    public static string? Decide(StnSettings settings, string nodeName, Func<IEnumerable<string>> hostLinks)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(hostLinks);
        if (settings.NodeStealInterface.TryGetValue(nodeName, out var perNode))
        {
            return perNode;
        }

        if (settings.StealInterface.Length > 0)
        {
            return settings.StealInterface;
        }

        return settings.StealFirstNic ? hostLinks().FirstOrDefault(IsNic) : null;
    }

    // The first NIC is the first link that is not a loopback, a libvirt bridge or a docker bridge.
    private static bool IsNic(string name) =>
        !name.StartsWith("lo", StringComparison.Ordinal)
        && !name.StartsWith("vir", StringComparison.Ordinal)
        && !name.StartsWith("docker", StringComparison.Ordinal);
}
