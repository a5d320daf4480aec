using Contiv.Agent.Addressing;
using Contiv.Linux;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.PodManager;

/// <summary>The MAC and MTU of a pod's interface, for the CNI reply.</summary>
/// <param name="Mac">Lower-case colon-separated MAC.</param>
/// <param name="Mtu">MTU in bytes; 0 when it could not be read.</param>
internal sealed record PodInterfaceInfo(string Mac, int Mtu);

/// <summary>
/// Reads the pod side of a pod's TAP as the pod's own network namespace sees it (runtimes such as
/// podman and meta-plugins such as tuning or bandwidth match interfaces by the result's MAC, so it
/// must be the one the pod really has). The data plane sets that MAC from
/// <see cref="MacAddresses.PodMac"/>; when the namespace cannot be read, that configured MAC is
/// reported instead and the problem logged.
/// </summary>
internal static class PodInterfaceReader
{
    /// <summary>MAC and MTU of <paramref name="ifName"/> inside <paramref name="netns"/>.</summary>
    public static PodInterfaceInfo Read(string netns, string ifName, string containerId, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            using var ns = NetworkNamespace.Open(netns);
            using var rtnl = RtNetlink.Open(ns);
            if (rtnl.FindLink(ifName) is { MacAddress: { } mac } link)
            {
                return new PodInterfaceInfo(LinkAddress.Format(mac), link.Mtu);
            }

            log.LogWarning("pod interface {IfName} in {Netns} (container {Container}) not found or without MAC: reporting the configured MAC", ifName, netns, containerId);
        }
        catch (NetlinkException e)
        {
            log.LogWarning("cannot read pod interface {IfName} in {Netns} (container {Container}): {Error}; reporting the configured MAC", ifName, netns, containerId, e.Message);
        }

        return new PodInterfaceInfo(MacAddresses.PodMac(containerId), 0);
    }
}
