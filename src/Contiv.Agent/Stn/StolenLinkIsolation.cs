using Contiv.Linux;

namespace Contiv.Agent.Stn;

/// <summary>
/// Keeps the host's kernel from answering on the stolen link. The data plane reads the NIC through AF_PACKET (the
/// lab's stand-in for DPDK), so the kernel still sees every frame; the node IP now being local to the host (on
/// vpp1), it would answer ARP and IP for it on the stolen link too — a second reply to every ping, a second SYN-ACK.
/// Strict reverse-path filtering on that link drops them: no route points out of it any more. It stays harmless
/// after contiv-stn gives the link back, because the host's routes are back on it then.
/// </summary>
internal static class StolenLinkIsolation
{
    /// <summary>Sets <c>net.ipv4.conf.{link}.rp_filter = 1</c> in <paramref name="hostNetns"/> (null: our own namespace).</summary>
    /// <returns>Null when done, else why not (the caller logs it: the node works, with duplicate replies).</returns>
    public static string? Apply(string? hostNetns, string link)
    {
        ArgumentException.ThrowIfNullOrEmpty(link);
        try
        {
            using var ns = NetworkNamespace.Open(hostNetns ?? "/proc/self/ns/net");
            NetworkSysctl.Write(ns, $"net/ipv4/conf/{link}/rp_filter", "1");
            var all = NetworkSysctl.Read(ns, "net/ipv4/conf/all/rp_filter");
            return all == "2" ? $"net.ipv4.conf.all.rp_filter is 2 (loose), which overrides the strict filter on {link}" : null;
        }
        catch (Exception e) when (e is NetlinkException or IOException or UnauthorizedAccessException)
        {
            return $"cannot set strict reverse-path filtering on {link}: {e.Message}";
        }
    }
}
