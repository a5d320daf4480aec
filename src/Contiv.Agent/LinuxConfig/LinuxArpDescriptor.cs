using System.Net;
using Contiv.Agent.Addressing;
using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Permanent neighbours (<c>linux-arp</c>).</summary>
internal sealed class LinuxArpDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxArp>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-arp";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.ArpPrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxArp value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxArp value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxArp value) => nl.ReplaceNeighbour(new Neighbour
    {
        InterfaceIndex = IndexOf(nl, value.Interface),
        Address = IPAddress.Parse(value.Ip),
        MacAddress = LinkAddress.Parse(value.Mac),
        State = NeighbourState.Permanent,
    });

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxArp value) => nl.DeleteNeighbour(new Neighbour
    {
        InterfaceIndex = IndexOf(nl, value.Interface),
        Address = IPAddress.Parse(value.Ip),
    });

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxArp value)
    {
        var index = FindIndex(nl, value.Interface);
        if (index is null)
        {
            return false;
        }

        var ip = IPAddress.Parse(value.Ip);
        return nl.GetNeighbours(index).Any(n => n.Address.Equals(ip) && n.State.HasFlag(NeighbourState.Permanent)
            && n.MacAddress is not null && string.Equals(LinkAddress.Format(n.MacAddress), MacAddresses.Normalize(value.Mac), StringComparison.OrdinalIgnoreCase));
    }
}
