using Contiv.Vpp.Arp;

namespace Contiv.Vpp.Stn;

/// <summary>
/// A steal-the-NIC punt rule as the control plane sees it: packets to <paramref name="Address"/> that the data
/// plane does not consume go out of <paramref name="Interface"/> (the host interconnect TAP) unchanged.
/// </summary>
/// <param name="Address">The node IP the host keeps (host order).</param>
/// <param name="Interface">The interface's client name (its tag) or device name.</param>
public sealed record StnRule(uint Address, string Interface);

/// <summary>
/// A rule as the data path reads it. <see cref="Adjacency"/> is held (referenced) for the rule's lifetime:
/// its rewrite is the Ethernet header towards the neighbour entry of <see cref="Address"/> on the interface,
/// filled when that neighbour resolves (the agent installs it statically), null until then.
/// </summary>
internal sealed record StnRuleEntry(uint Address, int SwIfIndex, Adjacency Adjacency);
