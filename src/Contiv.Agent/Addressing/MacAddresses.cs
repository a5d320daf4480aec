using System.Globalization;
using System.Text;

namespace Contiv.Agent.Addressing;

/// <summary>Deterministic MAC addresses of SPEC §2.4–§2.6.</summary>
internal static class MacAddresses
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    /// <summary>32-bit FNV-1a of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static uint Fnv1a32(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var h = FnvOffset;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= FnvPrime;
        }

        return h;
    }

    /// <summary>
    /// MAC of the pod side of a pod interface: <c>02:fe</c> + FNV-1a-32("{containerID}/{customIfName}") little-endian.
    /// <paramref name="customIfName"/> is empty for the main interface eth0.
    /// </summary>
    public static string PodMac(string containerId, string customIfName = "") => Format02Fe(Fnv1a32($"{containerId}/{customIfName}"));

    /// <summary>MAC of the data plane side of a pod interface: like <see cref="PodMac"/> over the complemented hash.</summary>
    public static string VppMac(string containerId, string customIfName = "") => Format02Fe(~Fnv1a32($"{containerId}/{customIfName}"));

    /// <summary>MAC of the host interconnect TAP on the data plane side: <c>34:3c</c> + node ID as 4 bytes big-endian.</summary>
    public static string HostInterconnectMac(uint nodeId) => WithNodeId(0x34, 0x3c, nodeId);

    /// <summary>MAC of the VXLAN BVI of node <paramref name="nodeId"/>: <c>12:2b</c> + node ID as 4 bytes big-endian.</summary>
    public static string VxlanBviMac(uint nodeId) => WithNodeId(0x12, 0x2b, nodeId);

    /// <summary>Normalizes a MAC to lower-case colon form; empty stays empty.</summary>
    public static string Normalize(string? mac) => string.IsNullOrEmpty(mac) ? string.Empty : mac.Trim().Replace('-', ':').ToLowerInvariant();

    private static string Format02Fe(uint h) => string.Create(CultureInfo.InvariantCulture,
        $"02:fe:{h & 0xff:x2}:{(h >> 8) & 0xff:x2}:{(h >> 16) & 0xff:x2}:{h >> 24:x2}");

    private static string WithNodeId(byte a, byte b, uint id) => string.Create(CultureInfo.InvariantCulture,
        $"{a:x2}:{b:x2}:{id >> 24:x2}:{(id >> 16) & 0xff:x2}:{(id >> 8) & 0xff:x2}:{id & 0xff:x2}");
}
