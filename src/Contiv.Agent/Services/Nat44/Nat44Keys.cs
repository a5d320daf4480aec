using System.Globalization;

namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// Scheduler keys of NAT44 items, in the style of <see cref="Contiv.Agent.Dataplane.VppKeys"/>. Each key names
/// what identifies the object in the data plane (a static mapping is found by its external address, port and
/// protocol), so a changed object keeps its key and is updated in place, and the scheduler can diff per object.
/// </summary>
internal static class Nat44Keys
{
    /// <summary>Prefix of every NAT44 key.</summary>
    public const string Prefix = "vpp/nat44/";

    /// <summary>Key of the global NAT44 settings (one object).</summary>
    public const string Global = Prefix + "global";

    /// <summary>Prefix of interface features.</summary>
    public const string InterfacePrefix = Prefix + "interface/";

    /// <summary>Prefix of address pool entries.</summary>
    public const string AddressPrefix = Prefix + "address/";

    /// <summary>Prefix of static (DNAT) mappings.</summary>
    public const string StaticMappingPrefix = Prefix + "static-mapping/";

    /// <summary>Prefix of identity mappings.</summary>
    public const string IdentityMappingPrefix = Prefix + "identity-mapping/";

    /// <summary><c>vpp/nat44/interface/{name}</c>.</summary>
    public static string Interface(string name) => InterfacePrefix + name;

    /// <summary><c>vpp/nat44/address/{ip}</c>.</summary>
    public static string Address(string ip) => AddressPrefix + ip;

    /// <summary><c>vpp/nat44/static-mapping/{tcp|udp}/{externalIp}:{externalPort}</c>.</summary>
    public static string StaticMapping(NatProtocol protocol, string externalIp, int externalPort)
        => string.Create(CultureInfo.InvariantCulture, $"{StaticMappingPrefix}{Name(protocol)}/{externalIp}:{externalPort}");

    /// <summary><c>vpp/nat44/identity-mapping/vrf/{vrf}/{tcp|udp|any}/{ip}[:{port}]</c> (no port for address-only).</summary>
    public static string IdentityMapping(uint vrf, NatProtocol? protocol, string ip, int port)
        => string.Create(CultureInfo.InvariantCulture,
            $"{IdentityMappingPrefix}vrf/{vrf}/{(protocol is { } p ? Name(p) : "any")}/{ip}{(port > 0 ? ":" + port.ToString(CultureInfo.InvariantCulture) : string.Empty)}");

    private static string Name(NatProtocol p) => p == NatProtocol.Tcp ? "tcp" : "udp";
}
