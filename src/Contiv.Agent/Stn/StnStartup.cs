using Contiv.Agent.Config;
using Contiv.Agent.LinuxConfig;

namespace Contiv.Agent.Stn;

/// <summary>
/// The agent's part of STN at start (SPEC §1.6.2, §1.8): which interface contiv-init had stolen (the same choice:
/// this node's <c>stealInterface</c> &gt; the global one &gt; with <c>stealFirstNIC</c> the first host link not named
/// <c>lo*</c>, <c>vir*</c>, <c>docker*</c>), and what contiv-stn remembers of it.
/// </summary>
internal static class StnStartup
{
    /// <summary>How long the agent waits for contiv-stn to answer at start.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>The stolen interface for <paramref name="settings"/> (STN mode only).</summary>
    public static async Task<StolenInterface> LoadAsync(NodeSettings settings, LinuxNamespaces linux, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(linux);
        var name = InterfaceName(settings, linux);
        var stolen = await StnInfoClient.GetAsync(settings.Config.StnSocketFile, name, Patience, ct).ConfigureAwait(false);
        if (stolen.Name.Length == 0)
        {
            throw new StnUnavailableException($"STN: no interface named by stealInterface and none found for stealFirstNIC in the host namespace");
        }

        return stolen;
    }

    private static string InterfaceName(NodeSettings settings, LinuxNamespaces linux)
    {
        var config = settings.Config;
        var node = config.NodeConfig.FirstOrDefault(n => string.Equals(n.NodeName, settings.NodeName, StringComparison.Ordinal));
        if (!string.IsNullOrEmpty(node?.StealInterface))
        {
            return node.StealInterface;
        }

        if (!string.IsNullOrEmpty(config.StealInterface))
        {
            return config.StealInterface;
        }

        // stealFirstNIC: the stolen link is down but still there, in the same index order contiv-init saw.
        return linux.With(string.Empty, nl => nl.GetLinks()
            .OrderBy(l => l.Index)
            .Select(l => l.Name)
            .FirstOrDefault(n => !n.StartsWith("lo", StringComparison.Ordinal) && !n.StartsWith("vir", StringComparison.Ordinal)
                && !n.StartsWith("docker", StringComparison.Ordinal) && n != IpNet.IpNetConfig.HostTapLinuxName)) ?? string.Empty;
    }
}
