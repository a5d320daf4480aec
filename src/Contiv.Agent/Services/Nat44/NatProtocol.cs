namespace Contiv.Agent.Services.Nat44;

/// <summary>Protocol of a port-based NAT44 mapping.</summary>
internal enum NatProtocol
{
    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}
