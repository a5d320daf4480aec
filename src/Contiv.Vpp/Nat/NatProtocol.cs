namespace Contiv.Vpp.Nat;

/// <summary>
/// The L4 protocols NAT44 translates, valued as their IPv4 protocol numbers so a header byte
/// converts without a table. <see cref="None"/> marks address-only (1:1) mappings.
/// </summary>
public enum NatProtocol : byte
{
    /// <summary>Address-only: any protocol, ports untouched.</summary>
    None = 0,
    /// <summary>ICMP (the echo identifier plays the port).</summary>
    Icmp = 1,
    /// <summary>TCP.</summary>
    Tcp = 6,
    /// <summary>UDP.</summary>
    Udp = 17,
}

/// <summary>Names of <see cref="NatProtocol"/> as VPP prints them (uppercase since v22.02).</summary>
internal static class NatProtocolNames
{
    /// <summary>"TCP", "UDP", "ICMP" or "ANY".</summary>
    public static string Format(NatProtocol p) => p switch
    {
        NatProtocol.Tcp => "TCP",
        NatProtocol.Udp => "UDP",
        NatProtocol.Icmp => "ICMP",
        _ => "ANY",
    };
}
