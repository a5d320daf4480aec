using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Contiv.Cni.Tests;

/// <summary>
/// Reads a CNI result the way libcni's result types (types/040 for 0.3.x/0.4.0, types/100 for
/// 1.x) and the runtimes built on them do, and lists everything they would reject or trip on:
/// <c>ips[].address</c> must be a CIDR (net.ParseCIDR), gateways and route gateways addresses of the
/// same family (net.ParseIP), <c>ips[].interface</c> an index into <c>interfaces</c>, MACs what
/// net.ParseMAC accepts (podman fails "invalid MAC address" otherwise), <c>ips[].version</c> "4"/"6"
/// matching the address before 1.0.0, fields of newer versions absent from older ones.
/// </summary>
public static class LibcniResultRules
{
    /// <summary>Every rule <paramref name="result"/> breaks for <paramref name="version"/>; empty when a runtime accepts it.</summary>
    public static List<string> Problems(JsonElement result, string version)
    {
        var problems = new List<string>();
        var v1 = !version.StartsWith("0.", StringComparison.Ordinal);
        var v11 = string.CompareOrdinal(version, "1.1.0") >= 0;
        if (result.GetProperty("cniVersion").GetString() != version)
        {
            problems.Add($"cniVersion {result.GetProperty("cniVersion")} instead of {version}");
        }

        var interfaces = result.TryGetProperty("interfaces", out var ifs) ? ifs.EnumerateArray().ToList() : [];
        for (var i = 0; i < interfaces.Count; i++)
        {
            var iface = interfaces[i];
            if (iface.TryGetProperty("mac", out var mac) && !IsGoMac(mac.GetString()))
            {
                problems.Add($"interfaces[{i}].mac \"{mac}\" is not a MAC address");
            }

            if (iface.TryGetProperty("mtu", out var mtu) && (!v11 || mtu.ValueKind != JsonValueKind.Number || mtu.GetInt32() <= 0))
            {
                problems.Add($"interfaces[{i}].mtu {mtu} is not a positive integer of a 1.1.0 result");
            }
        }

        var ips = result.TryGetProperty("ips", out var list) ? list.EnumerateArray().ToList() : [];
        for (var i = 0; i < ips.Count; i++)
        {
            var ip = ips[i];
            var address = ip.GetProperty("address").GetString() ?? string.Empty;
            var slash = address.IndexOf('/', StringComparison.Ordinal);
            // net.ParseCIDR: address, '/', prefix length within the family's bits (host bits may be set).
            if (slash < 0 || !IPAddress.TryParse(address.AsSpan(0, slash), out var a)
                || !int.TryParse(address.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
                || bits > (a.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))
            {
                problems.Add($"ips[{i}].address \"{address}\" is not a CIDR");
                continue;
            }

            if (ip.TryGetProperty("gateway", out var gw) && (!IPAddress.TryParse(gw.GetString(), out var g) || g.AddressFamily != a.AddressFamily))
            {
                problems.Add($"ips[{i}].gateway \"{gw}\" is not an address of the same family as {address}");
            }

            if (ip.TryGetProperty("interface", out var index))
            {
                if (index.ValueKind != JsonValueKind.Number || index.GetInt32() < 0 || index.GetInt32() >= interfaces.Count)
                {
                    problems.Add($"ips[{i}].interface {index} does not index interfaces (count {interfaces.Count})");
                }
            }

            var family = a.AddressFamily == AddressFamily.InterNetworkV6 ? "6" : "4";
            if (!v1 && (!ip.TryGetProperty("version", out var ipVersion) || ipVersion.GetString() != family))
            {
                problems.Add($"ips[{i}].version must be \"{family}\" in a {version} result");
            }

            if (v1 && ip.TryGetProperty("version", out _))
            {
                problems.Add($"ips[{i}].version does not exist in {version}");
            }
        }

        foreach (var route in result.TryGetProperty("routes", out var routes) ? routes.EnumerateArray() : default)
        {
            if (!IPNetwork.TryParse(route.GetProperty("dst").GetString(), out var dst))
            {
                problems.Add($"route dst {route.GetProperty("dst")} is not a CIDR");
            }
            else if (route.TryGetProperty("gw", out var gw) && (!IPAddress.TryParse(gw.GetString(), out var g) || g.AddressFamily != dst.BaseAddress.AddressFamily))
            {
                problems.Add($"route {dst} gw \"{gw}\" is not an address of the same family");
            }
        }

        return problems;
    }

    /// <summary>The interface that <c>ips[<paramref name="ipIndex"/>].interface</c> points at.</summary>
    public static JsonElement InterfaceOf(JsonElement result, int ipIndex)
        => result.GetProperty("interfaces")[result.GetProperty("ips")[ipIndex].GetProperty("interface").GetInt32()];

    /// <summary>What Go's net.ParseMAC accepts for Ethernet: six colon- or dash-separated hex pairs.</summary>
    public static bool IsGoMac(string? text)
        => text is { Length: 17 } && System.Net.NetworkInformation.PhysicalAddress.TryParse(text.Replace(':', '-'), out var mac) && mac.GetAddressBytes().Length == 6;
}
