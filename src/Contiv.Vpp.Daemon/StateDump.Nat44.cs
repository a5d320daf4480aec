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

        _dp.WithNat(nat =>
        {
            foreach (var (address, vrf, twice) in nat.Pool.Addresses)
            {
                reply.Nat44Addresses.Add(new Nat44Address { IpAddress = Ip4Address.Format(address), VrfId = vrf, TwiceNat = twice });
            }

            foreach (var m in nat.Mappings.All)
            {
                var e = m.External;
                if ((m.Flags & NatMappingFlags.Identity) != 0)
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
                    TwiceNat = (m.Flags & NatMappingFlags.TwiceNat) != 0 ? Nat44TwiceNat.Enabled
                        : (m.Flags & NatMappingFlags.SelfTwiceNat) != 0 ? Nat44TwiceNat.Self : Nat44TwiceNat.Disabled,
                    TwiceNatPoolIp = m.TwiceNatAddress == 0 ? string.Empty : Ip4Address.Format(m.TwiceNatAddress),
                    SessionAffinity = m.AffinityTimeout,
                    Out2InOnly = (m.Flags & NatMappingFlags.Out2InOnly) != 0,
                    Tag = m.Tag ?? string.Empty,
                };
                foreach (var l in m.Locals)
                {
                    sm.Locals.Add(new Nat44LocalEndpoint { IpAddress = Ip4Address.Format(l.Address), Port = l.Port, VrfId = l.Vrf, Probability = (uint)l.Probability });
                }

                reply.Nat44StaticMappings.Add(sm);
            }
        });
    }

    /// <summary>Sessions idle at least <c>min_idle_seconds</c>, with the TCP/other totals of all sessions.</summary>
    public Nat44SessionDumpReply Nat44Sessions(Nat44SessionDumpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = new Nat44SessionDumpReply();
        _dp.WithNat(nat =>
        {
            var now = _dp.NatNow();
            foreach (var i in nat.SessionIndexes())
            {
                ref var s = ref nat.Sessions[i];
                var inKey = s.In2OutKey;
                var outKey = s.Out2InKey;
                if (inKey.Protocol == NatProtocol.Tcp)
                {
                    reply.TcpSessions++;
                }
                else
                {
                    reply.OtherSessions++;
                }

                var idle = Math.Max(0, now - s.LastHeard);
                if (idle < request.MinIdleSeconds)
                {
                    continue;
                }

                var twice = (s.Flags & NatSessionFlags.TwiceNat) != 0;
                reply.Sessions.Add(new Nat44Session
                {
                    Protocol = ApiProtocol(inKey.Protocol),
                    InsideIp = Ip4Address.Format(inKey.Src),
                    InsidePort = inKey.SrcPort,
                    OutsideIp = Ip4Address.Format(outKey.Dst),
                    OutsidePort = outKey.DstPort,
                    ExtHostIp = Ip4Address.Format(outKey.Src),
                    ExtHostPort = outKey.SrcPort,
                    ExtHostNatIp = twice ? Ip4Address.Format(inKey.Dst) : string.Empty,
                    ExtHostNatPort = twice ? inKey.DstPort : 0u,
                    InsideVrfId = inKey.Fib,
                    IdleSeconds = (ulong)idle,
                    TcpEstablished = s.TcpState == NatTcpState.Established,
                    TotalPackets = (ulong)s.Packets,
                    TotalBytes = (ulong)s.Bytes,
                });
            }
        });
        return reply;
    }
}
