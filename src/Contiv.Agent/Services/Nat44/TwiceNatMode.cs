namespace Contiv.Agent.Services.Nat44;

/// <summary>How the source of a DNATed connection is rewritten (SPEC §3.2 <c>twice_nat</c>).</summary>
internal enum TwiceNatMode
{
    /// <summary>Source kept.</summary>
    Disabled,

    /// <summary>
    /// Source always rewritten to the twice-NAT pool address (the NAT loopback), so replies of a backend on
    /// another node come back through this node (NodePort and external IPs of ClusterWide services).
    /// </summary>
    Enabled,

    /// <summary>
    /// Source rewritten only when the client is the chosen backend itself (hairpin: a pod calling its own
    /// service), which otherwise would answer itself directly with its own address.
    /// </summary>
    Self,
}
