using Ip4Prefix = Contiv.Linux.Ip4Prefix;
using Contiv.Model.Vpp;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using Api = Contiv.Model.Vpp;
using Engine = Contiv.Vpp.Dataplane;

namespace Contiv.Vpp.Daemon;

/// <summary>Reads the engine's configured state and counters back as API messages (Dump, DumpInterfaceStats).</summary>
internal sealed partial class StateDump(Engine dp)
{
    private readonly Engine _dp = dp;

    /// <summary>The configured state of the kinds <paramref name="request"/> asks for (all when none).</summary>
    public DumpReply Dump(DumpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var kinds = new HashSet<ObjectKind>(request.Kinds);
        bool Want(ObjectKind k) => kinds.Count == 0 || kinds.Contains(ObjectKind.All) || kinds.Contains(k);
        var reply = new DumpReply();
        if (Want(ObjectKind.Interfaces))
        {
            foreach (var i in _dp.Interfaces)
            {
                if (i.Kind != InterfaceKind.Local)
                {
                    reply.Interfaces.Add(ToApi(i));
                }
            }
        }

        if (Want(ObjectKind.Vrfs))
        {
            foreach (var t in _dp.Tables)
            {
                reply.Vrfs.Add(new VrfTable { Id = t.TableId, Label = t.Name });
            }
        }

        if (Want(ObjectKind.Routes))
        {
            foreach (var r in _dp.Routes)
            {
                reply.Routes.Add(new Api.Route
                {
                    VrfId = r.TableId,
                    DstNetwork = new Ip4Prefix(r.Prefix.Network, r.Prefix.Length).ToString(),
                    NextHopAddr = r.NextHop == 0 ? string.Empty : Ip4Address.Format(r.NextHop),
                    OutInterface = r.OutSwIfIndex < 0 ? string.Empty : _dp.Interface(r.OutSwIfIndex)?.Name ?? string.Empty,
                    Type = r.Kind switch
                    {
                        RouteKind.InterVrf => RouteType.InterVrf,
                        RouteKind.Drop => RouteType.Drop,
                        RouteKind.Local => RouteType.Local,
                        _ => RouteType.IntraVrf,
                    },
                    ViaVrfId = r.ViaTableId,
                    Weight = (uint)r.Weight,
                    Preference = (uint)r.Preference,
                });
            }
        }

        if (Want(ObjectKind.Arps))
        {
            foreach (var n in _dp.NeighborSnapshot())
            {
                if (n.Mac is { } mac && _dp.Interface(n.SwIfIndex) is { } i)
                {
                    reply.Arps.Add(new ArpEntry { Interface = i.Name, IpAddress = Ip4Address.Format(n.Ip), PhysAddress = mac.ToString(), Static = n.Static });
                }
            }
        }

        if (Want(ObjectKind.Nat44))
        {
            DumpNat44(reply);
        }

        if (Want(ObjectKind.Acls))
        {
            DumpAcls(reply);
        }

        if (Want(ObjectKind.StnRules))
        {
            DumpStnRules(reply);
        }

        if (Want(ObjectKind.ProxyArps))
        {
            foreach (var r in _dp.ProxyArpRanges)
            {
                var p = new Api.ProxyArpRange { VrfId = r.TableId, FirstIp = Ip4Address.Format(r.First), LastIp = Ip4Address.Format(r.Last) };
                foreach (var i in _dp.Interfaces)
                {
                    if (i.ProxyArp && _dp.FibArray[i.FibIndex]?.TableId == r.TableId)
                    {
                        p.Interfaces.Add(i.Name);
                    }
                }

                reply.ProxyArps.Add(p);
            }
        }

        if (Want(ObjectKind.BridgeDomains))
        {
            foreach (var bd in _dp.BridgeDomains)
            {
                var m = new Api.BridgeDomain
                {
                    Id = bd.Id, Name = bd.Name, Flood = bd.Flood, UnknownUnicastFlood = bd.UnknownUnicastFlood, Forward = bd.Forward,
                    Learn = bd.Learn, ArpTermination = bd.ArpTermination, MacAgeMinutes = (uint)bd.MacAgeMinutes,
                };
                foreach (var sw in bd.Members)
                {
                    if (_dp.Interface(sw) is { } i)
                    {
                        m.Interfaces.Add(new BridgeDomainMember { Name = i.Name, BridgedVirtualInterface = i.IsBvi, SplitHorizonGroup = (uint)i.SplitHorizonGroup });
                    }
                }

                reply.BridgeDomains.Add(m);
            }
        }

        if (Want(ObjectKind.L2Fibs))
        {
            foreach (var bd in _dp.BridgeDomains)
            {
                foreach (var e in bd.Fib.Values)
                {
                    reply.L2Fibs.Add(new Api.L2FibEntry
                    {
                        BridgeDomainId = bd.Id, PhysAddress = new MacAddress(e.Mac).ToString(),
                        OutgoingInterface = _dp.Interface(e.SwIfIndex)?.Name ?? string.Empty, Static = e.Static, BridgedVirtualInterface = e.Bvi,
                    });
                }
            }
        }

        return reply;
    }

    private Api.Interface ToApi(SwInterface i)
    {
        var m = new Api.Interface
        {
            Name = i.Name,
            Type = i.Kind switch
            {
                InterfaceKind.Tap => InterfaceType.Tap,
                InterfaceKind.AfPacket => InterfaceType.AfPacket,
                InterfaceKind.Loopback => InterfaceType.Loopback,
                InterfaceKind.Vxlan => InterfaceType.VxlanTunnel,
                _ => InterfaceType.UndefinedType,
            },
            Enabled = i.AdminUp,
            PhysAddress = i.Mac.ToString(),
            Mtu = (uint)i.Mtu,
            Vrf = _dp.FibArray[i.FibIndex]?.TableId ?? 0,
            UnnumberedTo = i.UnnumberedTo >= 0 ? _dp.Interface(i.UnnumberedTo)?.Name ?? string.Empty : string.Empty,
            SourceCheck = _dp.SourceCheck(i),
            SwIfIndex = (uint)i.SwIfIndex,
            DevName = i.DevName,
            LinkUp = i.OperUp,
        };
        foreach (var a in i.Addresses)
        {
            m.IpAddresses.Add(a.ToString());
        }

        if (i.Tap is { } t)
        {
            m.Tap = new TapLink
            {
                Id = (uint)t.Id,
                HostIfName = t.HostIfName,
                HostNamespace = t.HostNamespace,
                HostMac = t.HostMac?.ToString() ?? string.Empty,
                HostIp4Prefix = t.HostIp4?.ToString() ?? string.Empty,
                HostIp4Gw = t.HostIp4Gateway is { } gw ? Ip4Address.Format(gw) : string.Empty,
                HostMtu = (uint)t.HostMtu,
                RxRingSize = (uint)t.RxRingSize,
                TxRingSize = (uint)t.TxRingSize,
                EnableGso = t.Gso,
                HostUp = t.HostUp,
            };
        }
        else if (i.HostIfName is { } h)
        {
            m.Afpacket = new AfPacketLink { HostIfName = h };
        }
        else if (i.Device is Vxlan.VxlanDevice d)
        {
            m.Vxlan = new VxlanLink { SrcAddress = Ip4Address.Format(d.Tunnel.Src), DstAddress = Ip4Address.Format(d.Tunnel.Dst), Vni = d.Tunnel.Vni, EncapVrfId = d.Tunnel.EncapVrfId };
        }

        return m;
    }

    /// <summary>Every interface's counters summed over the threads.</summary>
    public InterfaceStatsReply InterfaceStats()
    {
        var reply = new InterfaceStatsReply();
        foreach (var i in _dp.Interfaces)
        {
            var c = CliEngine.SumCounters(_dp, i.SwIfIndex);
            reply.Interfaces.Add(new InterfaceStats
            {
                Name = i.Name,
                DevName = i.DevName,
                SwIfIndex = (uint)i.SwIfIndex,
                RxPackets = (ulong)c.RxPackets,
                RxBytes = (ulong)c.RxBytes,
                TxPackets = (ulong)c.TxPackets,
                TxBytes = (ulong)c.TxBytes,
                Drops = (ulong)c.Drops,
                RxErrors = (ulong)c.RxErrors,
                TxErrors = (ulong)c.TxErrors,
            });
        }

        return reply;
    }
}
