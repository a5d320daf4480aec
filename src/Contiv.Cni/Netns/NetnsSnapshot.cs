using Contiv.Linux;

namespace Contiv.Cni.Netns;

/// <summary>Links, addresses and routes of one network namespace at one moment, as Contiv.Linux reports them.</summary>
/// <param name="Links">All links.</param>
/// <param name="Addresses">All addresses (IPv4 and IPv6).</param>
/// <param name="Routes">IPv4 and IPv6 routes of every table.</param>
public sealed record NetnsSnapshot(IReadOnlyList<Link> Links, IReadOnlyList<InterfaceAddress> Addresses, IReadOnlyList<Route> Routes);
