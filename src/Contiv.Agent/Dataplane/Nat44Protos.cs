using Contiv.Agent.Services.Nat44;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// The renderer's NAT44 records (<c>Services/Nat44</c>) to and from the data plane's nat44.proto messages. The
/// conversions round-trip: a dumped object converts back to a record equal to the one that was put, so a resync
/// over an unchanged data plane finds nothing to do.
/// </summary>
internal static class Nat44Protos
{
    /// <summary>Protocol of a port mapping.</summary>
    public static Nat44Protocol ToProto(NatProtocol p) => p == NatProtocol.Tcp ? Nat44Protocol.Tcp : Nat44Protocol.Udp;

    /// <summary>Protocol of a dumped port mapping; null for ICMP (never rendered by the agent).</summary>
    public static NatProtocol? FromProto(Nat44Protocol p) => p switch
    {
        Nat44Protocol.Tcp => NatProtocol.Tcp,
        Nat44Protocol.Udp => NatProtocol.Udp,
        _ => null,
    };

    /// <summary>Twice-NAT mode.</summary>
    public static Nat44TwiceNat ToProto(TwiceNatMode m) => m switch
    {
        TwiceNatMode.Enabled => Nat44TwiceNat.Enabled,
        TwiceNatMode.Self => Nat44TwiceNat.Self,
        _ => Nat44TwiceNat.Disabled,
    };

    /// <summary>Twice-NAT mode of a dumped mapping.</summary>
    public static TwiceNatMode FromProto(Nat44TwiceNat m) => m switch
    {
        Nat44TwiceNat.Enabled => TwiceNatMode.Enabled,
        Nat44TwiceNat.Self => TwiceNatMode.Self,
        _ => TwiceNatMode.Disabled,
    };

    /// <summary>Global settings (timeouts stay at the data plane's defaults).</summary>
    public static Nat44Global ToProto(NatGlobal g) => new() { Forwarding = g.Forwarding, DropFragments = g.DropFragments };

    /// <summary>Interface features.</summary>
    public static Nat44Interface ToProto(NatInterfaceFeature f)
        => new() { Interface = f.Name, Inside = f.Inside, Outside = f.Outside, OutputFeature = f.OutputFeature };

    /// <summary>Pool address.</summary>
    public static Nat44Address ToProto(NatPoolAddress a) => new() { IpAddress = a.Ip, VrfId = a.VrfId, TwiceNat = a.TwiceNat };

    /// <summary>Static mapping with all its locals.</summary>
    public static Nat44StaticMapping ToProto(NatStaticMapping m)
    {
        var p = new Nat44StaticMapping
        {
            ExternalIp = m.ExternalIp,
            ExternalPort = (uint)m.ExternalPort,
            Protocol = ToProto(m.Protocol),
            TwiceNat = ToProto(m.TwiceNat),
            TwiceNatPoolIp = m.TwiceNatPoolIp,
            SessionAffinity = m.SessionAffinity,
            Out2InOnly = m.OutToInOnly,
            Tag = m.Label,
        };
        foreach (var l in m.Locals)
        {
            p.Locals.Add(new Nat44LocalEndpoint { IpAddress = l.Ip, Port = (uint)l.Port, VrfId = l.VrfId, Probability = l.Probability });
        }

        return p;
    }

    /// <summary>A dumped static mapping as a record (locals in the dump's order); null for an ICMP mapping.</summary>
    public static NatStaticMapping? FromProto(Nat44StaticMapping p)
    {
        if (FromProto(p.Protocol) is not { } protocol)
        {
            return null;
        }

        return new NatStaticMapping
        {
            ExternalIp = p.ExternalIp,
            ExternalPort = (int)p.ExternalPort,
            Protocol = protocol,
            Locals = new Services.ValueArray<NatLocal>(p.Locals.Select(l => new NatLocal(l.IpAddress, (int)l.Port, l.VrfId, l.Probability))),
            TwiceNat = FromProto(p.TwiceNat),
            TwiceNatPoolIp = p.TwiceNatPoolIp,
            SessionAffinity = p.SessionAffinity,
            OutToInOnly = p.Out2InOnly,
            Label = p.Tag,
        };
    }

    /// <summary>Identity mapping; address-only when the record has no protocol.</summary>
    public static Nat44IdentityMapping ToProto(NatIdentityMapping m) => new()
    {
        IpAddress = m.Ip,
        AddrOnly = m.Protocol is null,
        Protocol = m.Protocol is { } p ? ToProto(p) : Nat44Protocol.Tcp,
        Port = m.Protocol is null ? 0 : (uint)m.Port,
        VrfId = m.VrfId,
        Tag = m.Label,
    };

    /// <summary>A dumped identity mapping as a record; null for a port-specific ICMP identity.</summary>
    public static NatIdentityMapping? FromProto(Nat44IdentityMapping p)
    {
        NatProtocol? protocol = null;
        if (!p.AddrOnly)
        {
            protocol = FromProto(p.Protocol);
            if (protocol is null)
            {
                return null;
            }
        }

        return new NatIdentityMapping { Ip = p.IpAddress, Protocol = protocol, Port = p.AddrOnly ? 0 : (int)p.Port, VrfId = p.VrfId, Label = p.Tag };
    }
}
