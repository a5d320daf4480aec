using Contiv.Model.Vpp;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Nat;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Daemon;

// NAT44 objects of dataplane.proto (nat44.proto) onto the engine: global settings, interface roles,
// pool addresses, static and identity mappings, and session deletion.
internal sealed partial class ConfigApplier
{
    internal static NatProtocol ProtocolOf(Nat44Protocol p) => p switch
    {
        Nat44Protocol.Tcp => NatProtocol.Tcp,
        Nat44Protocol.Udp => NatProtocol.Udp,
        Nat44Protocol.Icmp => NatProtocol.Icmp,
        _ => throw new FormatException($"unknown NAT44 protocol {p}"),
    };

    private OpResult PutNat44Global(Nat44Global g)
    {
        _dp.SetNatGlobal(new NatGlobalSettings
        {
            Forwarding = g.Forwarding,
            DropFragments = g.DropFragments,
            TcpEstablishedTimeout = g.TcpEstablishedTimeout,
            TcpTransitoryTimeout = g.TcpTransitoryTimeout,
            UdpTimeout = g.UdpTimeout,
            IcmpTimeout = g.IcmpTimeout,
        });
        return Ok();
    }

    private OpResult DeleteNat44Global()
    {
        _dp.SetNatGlobal(new NatGlobalSettings());
        return Ok();
    }

    private OpResult PutNat44Interface(Nat44Interface n)
    {
        var i = Require(n.Interface, "NAT44 interface");
        var role = (n.Inside ? NatInterfaceRole.Inside : 0) | (n.Outside ? NatInterfaceRole.Outside : 0)
            | (n.OutputFeature ? NatInterfaceRole.OutputFeature : 0);
        _dp.SetNatRole(i, role);
        return Ok();
    }

    private OpResult DeleteNat44Interface(Nat44Interface n)
    {
        var i = Find(n.Interface);
        if (i is null || _dp.NatRole(i) == NatInterfaceRole.None)
        {
            return NotFound($"NAT44 interface '{n.Interface}' does not exist");
        }

        _dp.SetNatRole(i, NatInterfaceRole.None);
        return Ok();
    }

    private OpResult PutNat44Address(Nat44Address a)
    {
        _dp.PutNatAddress(Ip4Address.Parse(a.IpAddress), a.VrfId, a.TwiceNat);
        return Ok();
    }

    private OpResult DeleteNat44Address(Nat44Address a)
    {
        return _dp.RemoveNatAddress(Ip4Address.Parse(a.IpAddress), a.TwiceNat)
            ? Ok() : NotFound($"NAT44 address {a.IpAddress}{(a.TwiceNat ? " (twice-nat)" : "")} does not exist");
    }

    private static NatExternalKey ExternalKeyOf(Nat44StaticMapping m)
    {
        if (m.ExternalPort > ushort.MaxValue)
        {
            throw new FormatException($"NAT44 static mapping {m.ExternalIp}: external port {m.ExternalPort} is out of range");
        }

        return new NatExternalKey(Ip4Address.Parse(m.ExternalIp), (ushort)m.ExternalPort, ProtocolOf(m.Protocol));
    }

    private OpResult PutNat44StaticMapping(Nat44StaticMapping m)
    {
        var key = ExternalKeyOf(m);
        var locals = new List<NatMappingLocal>(m.Locals.Count);
        foreach (var l in m.Locals)
        {
            if (l.Port > ushort.MaxValue || l.Probability > int.MaxValue)
            {
                throw new FormatException($"NAT44 static mapping {key}: local {l.IpAddress}:{l.Port} has a port or probability out of range");
            }

            locals.Add(new NatMappingLocal(Ip4Address.Parse(l.IpAddress), (ushort)l.Port, l.VrfId, (int)l.Probability));
        }

        // Same key = update in place (the engine keeps sessions of locals that stay).
        _dp.PutNatStaticMapping(new NatStaticMappingEntry
        {
            External = key,
            Locals = locals,
            Out2InOnly = m.Out2InOnly,
            TwiceNat = m.TwiceNat switch
            {
                Nat44TwiceNat.Enabled => NatTwiceNatMode.Enabled,
                Nat44TwiceNat.Self => NatTwiceNatMode.Self,
                _ => NatTwiceNatMode.Disabled,
            },
            AffinityTimeout = m.SessionAffinity,
            TwiceNatAddress = string.IsNullOrEmpty(m.TwiceNatPoolIp) ? 0 : Ip4Address.Parse(m.TwiceNatPoolIp),
            Tag = string.IsNullOrEmpty(m.Tag) ? null : m.Tag,
        });
        return Ok();
    }

    private OpResult DeleteNat44StaticMapping(Nat44StaticMapping m)
    {
        var key = ExternalKeyOf(m);
        return _dp.RemoveNatStaticMapping(key) ? Ok() : NotFound($"NAT44 static mapping {key} does not exist");
    }

    private static (NatProtocol Protocol, ushort Port) IdentityKeyOf(Nat44IdentityMapping m)
    {
        if (m.AddrOnly)
        {
            return (NatProtocol.None, 0);
        }

        return m.Port <= ushort.MaxValue ? (ProtocolOf(m.Protocol), (ushort)m.Port)
            : throw new FormatException($"NAT44 identity mapping {m.IpAddress}: port {m.Port} is out of range");
    }

    private OpResult PutNat44IdentityMapping(Nat44IdentityMapping m)
    {
        var (proto, port) = IdentityKeyOf(m);
        _dp.PutNatIdentity(Ip4Address.Parse(m.IpAddress), proto, port, m.VrfId, string.IsNullOrEmpty(m.Tag) ? null : m.Tag);
        return Ok();
    }

    private OpResult DeleteNat44IdentityMapping(Nat44IdentityMapping m)
    {
        var (proto, port) = IdentityKeyOf(m);
        return _dp.DeleteNatIdentity(Ip4Address.Parse(m.IpAddress), proto, port, m.VrfId)
            ? Ok() : NotFound($"NAT44 identity mapping {m.IpAddress} {(m.AddrOnly ? "" : $"{m.Protocol} {m.Port} ")}vrf {m.VrfId} does not exist");
    }

    /// <summary>
    /// Deletes sessions by their outside 5-tuple (protocol, outside address/port, external host — or, for
    /// twice-NAT sessions, the external host's NAT address/port). One pass builds an index of the live
    /// sessions, so a request of many sessions costs O(sessions + request) at the barrier.
    /// </summary>
    public Nat44SessionDeleteReply DeleteSessions(Nat44SessionDeleteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = new Nat44SessionDeleteReply();
        var keys = new List<NatSessionOutsideKey>(request.Sessions.Count);
        foreach (var d in request.Sessions)
        {
            try
            {
                var host = string.IsNullOrEmpty(d.ExtHostNatIp) ? d.ExtHostIp : d.ExtHostNatIp;
                var hostPort = string.IsNullOrEmpty(d.ExtHostNatIp) ? d.ExtHostPort : d.ExtHostNatPort;
                keys.Add(new NatSessionOutsideKey(ProtocolOf(d.Protocol), Ip4Address.Parse(d.OutsideIp), (ushort)d.OutsidePort, Ip4Address.Parse(host), (ushort)hostPort));
            }
            catch (FormatException e)
            {
                reply.Errors.Add($"session {d.Protocol} {d.OutsideIp}:{d.OutsidePort} <- {d.ExtHostIp}:{d.ExtHostPort}: {e.Message}");
            }
        }

        var deleted = _dp.DeleteNatSessions(keys);
        reply.Deleted = (uint)deleted;
        reply.NotFound = (uint)(keys.Count - deleted);
        return reply;
    }
}
