using System.Globalization;
using System.Text;
using System.Text.Json;
using Contiv.Testing;

namespace Contiv.Stn.Tests;

/// <summary>
/// A node's host namespace with one NIC (<c>eth0</c>, a veth whose peer sits in an "underlay"
/// namespace) configured the way a real node's is: two IPv4 and one IPv6 address, a default route of
/// each family, routes via gateways and an on-link route. Dumps come from iproute2, independent of the code under test.
/// </summary>
internal sealed class HostNic : IDisposable
{
    public const string Nic = "eth0";

    private readonly NetnsScope _scope = new();

    public HostNic()
    {
        try
        {
            Host = _scope.Create("host");
            Underlay = _scope.Create("ul");
            _scope.Veth(Nic, Host, "ul0", Underlay);
            Ip($"-n {Underlay} addr add 192.168.16.1/24 dev ul0");
            Ip($"-n {Underlay} -6 addr add fd00:16::1/64 dev ul0 nodad");
            Ip($"-n {Host} addr add 192.168.16.5/24 dev {Nic}");
            Ip($"-n {Host} addr add 10.20.0.5/16 dev {Nic}");
            Ip($"-n {Host} -6 addr add fd00:16::5/64 dev {Nic} nodad");
            Ip($"-n {Host} route add default via 192.168.16.1 dev {Nic}");
            Ip($"-n {Host} route add 10.99.0.0/16 via 192.168.16.254 dev {Nic} metric 50");
            Ip($"-n {Host} route add 172.16.5.0/24 dev {Nic} scope link");
            Ip($"-n {Host} -6 route add default via fd00:16::1 dev {Nic}");
            Ip($"-n {Host} -6 route add fd00:99::/48 via fd00:16::fe dev {Nic} metric 20");
            // The IPv6 link-local address comes and goes with the link: wait for it so that "before" is settled.
            WaitFor(() => Shell.Ip($"-n {Host} -6 addr show dev {Nic} scope link").Contains("fe80::", StringComparison.Ordinal)
                && !Shell.Ip($"-n {Host} -6 addr show dev {Nic}").Contains("tentative", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "IPv6 link-local address on eth0");
        }
        catch
        {
            _scope.Dispose();
            throw;
        }
    }

    /// <summary>The node's host namespace (holds eth0, and vpp1 in health-check tests).</summary>
    public string Host { get; }

    /// <summary>The underlay side of eth0 (192.168.16.1, fd00:16::1).</summary>
    public string Underlay { get; }

    public NetnsScope Scope => _scope;

    /// <summary>
    /// Every address of eth0 and every route of the main table of both families in the host namespace,
    /// one normalised line each (address, prefix, scope; route destination, gateway, device, protocol,
    /// scope, metric, source), sorted. Lifetimes and flags such as "tentative" are left out.
    /// </summary>
    public string Dump()
    {
        var lines = new List<string>();
        using (var addrs = JsonDocument.Parse(Shell.Ip($"-n {Host} -j addr show dev {Nic}")))
        {
            foreach (var link in addrs.RootElement.EnumerateArray())
            {
                foreach (var a in link.GetProperty("addr_info").EnumerateArray())
                {
                    var nodad = a.TryGetProperty("nodad", out var n) && n.GetBoolean() ? " nodad" : string.Empty;
                    lines.Add($"addr {S(a, "family")} {S(a, "local")}/{S(a, "prefixlen")} scope {S(a, "scope")}{nodad}");
                }
            }
        }

        foreach (var family in new[] { "-4", "-6" })
        {
            using var routes = JsonDocument.Parse(Shell.Ip($"-n {Host} -j {family} route show table main"));
            foreach (var r in routes.RootElement.EnumerateArray())
            {
                lines.Add($"route {family} {(r.TryGetProperty("type", out var t) ? t.GetString() : "unicast")} {S(r, "dst")} via {S(r, "gateway")} dev {S(r, "dev")} proto {S(r, "protocol")} scope {S(r, "scope")} metric {S(r, "metric")} src {S(r, "prefsrc")}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    /// <summary>True when eth0 is administratively up.</summary>
    public bool IsUp() => Shell.Ip($"-n {Host} -o link show dev {Nic}").Contains("<BROADCAST,MULTICAST,UP", StringComparison.Ordinal);

    /// <summary>Lines of <see cref="Dump"/> that mention eth0 (an address of it, or a route through it).</summary>
    public string[] Eth0Config() => Dump().Split('\n').Where(l => l.StartsWith("addr", StringComparison.Ordinal) || l.Contains($" dev {Nic} ", StringComparison.Ordinal)).ToArray();

    /// <summary>The <c>ip addr</c> / <c>ip route</c> text of the host namespace (for failure messages and docs).</summary>
    public string Text()
    {
        var sb = new StringBuilder();
        sb.Append(Shell.Ip($"-n {Host} addr show dev {Nic}"));
        sb.Append(Shell.Ip($"-n {Host} route"));
        sb.Append(Shell.Ip($"-n {Host} -6 route"));
        return sb.ToString();
    }

    public static void WaitFor(Func<bool> condition, TimeSpan limit, string what)
    {
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{what}: not reached within {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            }

            Thread.Sleep(100);
        }
    }

    public void Dispose() => _scope.Dispose();

    private static void Ip(string args) => Shell.Ip(args);

    private static string S(JsonElement e, string name) => e.TryGetProperty(name, out var v)
        ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()
        : "-";
}
