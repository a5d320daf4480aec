using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Contiv.Linux;

/// <summary>
/// A route, used both to request changes and to report the routing table. Omitted fields take the
/// defaults <c>ip route</c> uses: scope link for a route without gateway, global otherwise; table main.
/// </summary>
public sealed record Route
{
    /// <summary>Destination prefix; <c>0.0.0.0/0</c> or <c>::/0</c> is the default route.</summary>
    public required IPNetwork Destination { get; init; }

    /// <summary>Next-hop gateway, or null for a directly connected route.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>Output interface index, or null.</summary>
    public int? OutputInterface { get; init; }

    /// <summary>Scope; null picks like <c>ip route</c> (link without gateway, global with one; any when deleting).</summary>
    public NetworkScope? Scope { get; init; }

    /// <summary>Routing table id (254 main, 255 local, or any VRF table number).</summary>
    public int Table { get; init; } = RouteTables.Main;

    /// <summary>Metric (priority), or null for the kernel default.</summary>
    public int? Metric { get; init; }

    /// <summary>Preferred source address, or null.</summary>
    public IPAddress? PreferredSource { get; init; }

    /// <summary>Route type; unicast by default.</summary>
    public RouteType Type { get; init; } = RouteType.Unicast;

    /// <summary>Origin of the route (RTPROT_*); 4 = static, 3 = boot (ip route's default), 2 = kernel.</summary>
    public byte Protocol { get; init; } = RouteProtocols.Static;

    /// <summary>Address family of the destination.</summary>
    public AddressFamily Family => Destination.BaseAddress.AddressFamily;

    /// <summary>True for a default route (prefix length 0).</summary>
    public bool IsDefault => Destination.PrefixLength == 0;

    /// <summary>A default route via <paramref name="gateway"/> (optionally through an output interface).</summary>
    public static Route Default(IPAddress gateway, int? outputInterface = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var any = gateway.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        return new Route { Destination = new IPNetwork(any, 0), Gateway = gateway, OutputInterface = outputInterface };
    }

    /// <summary>A host route (/32 or /128) to <paramref name="address"/> out of an interface with link scope.</summary>
    public static Route Host(IPAddress address, int outputInterface)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        return new Route { Destination = new IPNetwork(address, bits), OutputInterface = outputInterface, Scope = NetworkScope.Link };
    }

    /// <inheritdoc />
    public override string ToString() => Describe(null);

    /// <summary><c>ip route</c>-style text; <paramref name="linkName"/> names the output interface when known.</summary>
    internal string Describe(string? linkName)
    {
        var sb = new StringBuilder(IsDefault ? "default" : Destination.ToString());
        if (Type != RouteType.Unicast)
        {
            sb.Insert(0, Type.ToString().ToLowerInvariant() + " ");
        }

        if (Gateway is not null)
        {
            sb.Append(" via ").Append(Gateway);
        }

        if (OutputInterface is int oif)
        {
            sb.Append(" dev ").Append(linkName ?? "#" + oif.ToString(CultureInfo.InvariantCulture));
        }

        if (Table != RouteTables.Main)
        {
            sb.Append(" table ").Append(Table.ToString(CultureInfo.InvariantCulture));
        }

        if (Scope is NetworkScope scope && scope != NetworkScope.Global)
        {
            sb.Append(" scope ").Append(scope.ToString().ToLowerInvariant());
        }

        if (Metric is int metric)
        {
            sb.Append(" metric ").Append(metric.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}

/// <summary>Route types (RTN_*).</summary>
public enum RouteType : byte
{
    /// <summary>Gateway or direct route.</summary>
    Unicast = 1,

    /// <summary>Local address.</summary>
    Local = 2,

    /// <summary>Broadcast.</summary>
    Broadcast = 3,

    /// <summary>Drop silently.</summary>
    Blackhole = 6,

    /// <summary>Destination unreachable.</summary>
    Unreachable = 7,

    /// <summary>Administratively prohibited.</summary>
    Prohibit = 8,
}

/// <summary>Well-known routing table ids.</summary>
public static class RouteTables
{
    /// <summary>The main table (254), what <c>ip route</c> shows.</summary>
    public const int Main = 254;

    /// <summary>The local table (255) holding local and broadcast routes.</summary>
    public const int Local = 255;
}

/// <summary>Well-known route protocol (origin) values (RTPROT_*).</summary>
public static class RouteProtocols
{
    /// <summary>Installed by the kernel (connected routes).</summary>
    public const byte Kernel = 2;

    /// <summary>Installed at boot / by <c>ip route</c> without a protocol.</summary>
    public const byte Boot = 3;

    /// <summary>Installed by an administrator or an agent.</summary>
    public const byte Static = 4;
}
