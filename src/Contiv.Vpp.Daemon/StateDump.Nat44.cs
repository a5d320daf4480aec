using Contiv.Model.Vpp;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Nat;

namespace Contiv.Vpp.Daemon;

// NAT44 state back as API messages: configuration (Dump kind NAT44) and sessions (DumpNat44Sessions).
internal sealed partial class StateDump
{
    private static Nat44Protocol ApiProtocol(NatProtocol p) => p switch
    {
        NatProtocol.Udp => Nat44Protocol.Udp,
        NatProtocol.Icmp => Nat44Protocol.Icmp,
        _ => Nat44Protocol.Tcp,
    };

    private void DumpNat44(DumpReply reply)
    {
        var g = _dp.NatGlobal;
        reply.Nat44Global = new Nat44Global
        {
            Forwarding = g.Forwarding,
            DropFragments = g.DropFragments,
            TcpEstablishedTimeout = g.TcpEstablishedTimeout,
            TcpTransitoryTimeout = g.TcpTransitoryTimeout,
            UdpTimeout = g.UdpTimeout,
            IcmpTimeout = g.IcmpTimeout,
        };
        foreach (var (i, role) in _dp.NatInterfaces)
        {
            reply.Nat44Interfaces.Add(new Nat44Interface
            {
                Interface = i.Name,
                Inside = (role & NatInterfaceRole.Inside) != 0,
                Outside = (role & NatInterfaceRole.Outside) != 0,
                OutputFeature = (role & NatInterfaceRole.OutputFeature) != 0,
            });
        }

        foreach (var (address, vrf, twice) in _dp.NatAddresses)
        {
            reply.Nat44Addresses.Add(new Nat44Address { IpAddress = Ip4Address.Format(address), VrfId = vrf, TwiceNat = twice });
        }

        foreach (var m in _dp.NatStaticMappings)
        {
            var e = m.External;
            if (m.Identity)
            {
                foreach (var l in m.Locals)
                {
                    reply.Nat44IdentityMappings.Add(new Nat44IdentityMapping
                    {
                        IpAddress = Ip4Address.Format(e.Address),
                        AddrOnly = e.Protocol == NatProtocol.None,
                        Protocol = e.Protocol == NatProtocol.None ? Nat44Protocol.Tcp : ApiProtocol(e.Protocol),
                        Port = e.Port,
                        VrfId = l.Vrf,
                        Tag = m.Tag ?? string.Empty,
                    });
                }

                continue;
            }

            var sm = new Nat44StaticMapping
            {
                ExternalIp = Ip4Address.Format(e.Address),
                ExternalPort = e.Port,
                Protocol = ApiProtocol(e.Protocol),
                TwiceNat = m.TwiceNat switch
                {
                    NatTwiceNatMode.Enabled => Nat44TwiceNat.Enabled,
                    NatTwiceNatMode.Self => Nat44TwiceNat.Self,
                    _ => Nat44TwiceNat.Disabled,
                },
                TwiceNatPoolIp = m.TwiceNatAddress == 0 ? string.Empty : Ip4Address.Format(m.TwiceNatAddress),
                SessionAffinity = m.AffinityTimeout,
                Out2InOnly = m.Out2InOnly,
                Tag = m.Tag ?? string.Empty,
            };
            foreach (var l in m.Locals)
            {
                sm.Locals.Add(new Nat44LocalEndpoint { IpAddress = Ip4Address.Format(l.Address), Port = l.Port, VrfId = l.Vrf, Probability = (uint)l.Probability });
            }

            reply.Nat44StaticMappings.Add(sm);
        }
    }

    /// <summary>Sessions idle at least <c>min_idle_seconds</c>, with the TCP/other totals of all sessions.</summary>
    public Nat44SessionDumpReply Nat44Sessions(Nat44SessionDumpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = _dp.NatSessions(request.MinIdleSeconds);
        var reply = new Nat44SessionDumpReply { TcpSessions = (ulong)snapshot.TcpSessions, OtherSessions = (ulong)snapshot.OtherSessions };
        foreach (var s in snapshot.Sessions)
        {
            reply.Sessions.Add(new Nat44Session
            {
                Protocol = ApiProtocol(s.Protocol),
                InsideIp = Ip4Address.Format(s.InsideAddress),
                InsidePort = s.InsidePort,
                OutsideIp = Ip4Address.Format(s.OutsideAddress),
                OutsidePort = s.OutsidePort,
                ExtHostIp = Ip4Address.Format(s.ExtHostAddress),
                ExtHostPort = s.ExtHostPort,
                ExtHostNatIp = s.TwiceNat ? Ip4Address.Format(s.ExtHostNatAddress) : string.Empty,
                ExtHostNatPort = s.TwiceNat ? s.ExtHostNatPort : 0u,
                InsideVrfId = s.InsideFib,
                IdleSeconds = (ulong)s.IdleSeconds,
                TcpEstablished = s.TcpEstablished,
                TotalPackets = (ulong)s.Packets,
                TotalBytes = (ulong)s.Bytes,
            });
        }

        return reply;
    }
}
