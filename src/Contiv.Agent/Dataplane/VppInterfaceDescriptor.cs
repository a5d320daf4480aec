using Contiv.Agent.Addressing;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>Interfaces (TAP, AF_PACKET, loopback, VXLAN) keyed <c>vpp/interface/{name}</c>.</summary>
internal sealed class VppInterfaceDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<Interface>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-interface";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.InterfacePrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, Interface value)
    {
        var i = value;
        if (!string.IsNullOrEmpty(i.UnnumberedTo))
        {
            yield return VppKeys.Interface(i.UnnumberedTo);
        }

        if (i.Type != InterfaceType.VxlanTunnel)
        {
            yield return VppKeys.Vrf(i.Vrf);
        }
        else
        {
            yield return VppKeys.Vrf(i.Vxlan.EncapVrfId);
        }
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, Interface oldValue, Interface newValue)
    {
        var o = oldValue;
        var n = newValue;
        return o.Type != n.Type || o.LinkCase != n.LinkCase
            || (n.LinkCase == Interface.LinkOneofCase.Tap && (o.Tap.HostIfName != n.Tap.HostIfName || o.Tap.HostNamespace != n.Tap.HostNamespace))
            || (n.LinkCase == Interface.LinkOneofCase.Afpacket && o.Afpacket.HostIfName != n.Afpacket.HostIfName)
            || (n.LinkCase == Interface.LinkOneofCase.Vxlan && !o.Vxlan.Equals(n.Vxlan));
    }

    /// <inheritdoc/>
    public override bool Equivalent(string key, Interface desired, Interface applied)
    {
        var d = desired;
        var a = applied;
        if (d.Name != a.Name || d.Type != a.Type || d.Enabled != a.Enabled || d.Vrf != a.Vrf || d.UnnumberedTo != a.UnnumberedTo
            || (d.Mtu != 0 && a.Mtu != 0 && d.Mtu != a.Mtu)
            || (d.PhysAddress.Length > 0 && MacAddresses.Normalize(d.PhysAddress) != MacAddresses.Normalize(a.PhysAddress))
            || !d.IpAddresses.OrderBy(x => x, StringComparer.Ordinal).SequenceEqual(a.IpAddresses.OrderBy(x => x, StringComparer.Ordinal)))
        {
            return false;
        }

        // Link details: compare what the data plane reports back (a dump may leave optional fields empty).
        return d.LinkCase switch
        {
            Interface.LinkOneofCase.Tap => a.LinkCase != Interface.LinkOneofCase.Tap || (Same(d.Tap.HostIfName, a.Tap.HostIfName) && Same(d.Tap.HostNamespace, a.Tap.HostNamespace)),
            Interface.LinkOneofCase.Afpacket => a.LinkCase != Interface.LinkOneofCase.Afpacket || Same(d.Afpacket.HostIfName, a.Afpacket.HostIfName),
            Interface.LinkOneofCase.Vxlan => a.LinkCase != Interface.LinkOneofCase.Vxlan
                || (d.Vxlan.SrcAddress == a.Vxlan.SrcAddress && d.Vxlan.DstAddress == a.Vxlan.DstAddress && d.Vxlan.Vni == a.Vxlan.Vni && d.Vxlan.EncapVrfId == a.Vxlan.EncapVrfId),
            _ => true,
        };

        static bool Same(string want, string got) => got.Length == 0 || want == got;
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, Interface value) => new() { Action = action, Interface = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, Interface>> FromDump(DumpReply dump)
    {
        foreach (var i in dump.Interfaces)
        {
            // Only named interfaces are the agent's; unnamed ones (e.g. created by hand) are left alone.
            if (i.Name.Length == 0 || i.Name == i.DevName && i.Name.StartsWith("local", StringComparison.Ordinal))
            {
                continue;
            }

            var clean = i.Clone();
            clean.SwIfIndex = 0;
            clean.DevName = string.Empty;
            clean.LinkUp = false;
            yield return KeyValuePair.Create(VppKeys.Interface(i.Name), clean);
        }
    }
}
