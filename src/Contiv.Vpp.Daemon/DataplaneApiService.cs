using System.Threading.Channels;
using Contiv.Model.Vpp;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using Grpc.Core;
using Api = Contiv.Model.Vpp;
using Engine = Contiv.Vpp.Dataplane;

namespace Contiv.Vpp.Daemon;

/// <summary>The gRPC control API (service <c>contiv.vpp.Dataplane</c>) over the data plane.</summary>
public sealed class DataplaneApiService : Api.Dataplane.DataplaneBase
{
    private readonly Engine _dp;
    private readonly CliEngine _cli;

    /// <summary>Creates the service.</summary>
    public DataplaneApiService(Engine dp, CliEngine cli)
    {
        _dp = dp;
        _cli = cli;
    }

    /// <inheritdoc />
    public override Task<VersionReply> GetVersion(Empty request, ServerCallContext context)
        => Task.FromResult(new VersionReply
        {
            Version = CliEngine.Version,
            BuildDate = File.GetLastWriteTimeUtc(typeof(Engine).Assembly.Location).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            UptimeSeconds = (ulong)(DateTimeOffset.UtcNow - _dp.StartTime).TotalSeconds,
            Pid = (uint)Environment.ProcessId,
        });

    /// <inheritdoc />
    public override Task<HealthReply> GetHealth(Empty request, ServerCallContext context)
        => Task.FromResult(new HealthReply
        {
            Live = _dp.Running,
            Ready = _dp.Running,
            Detail = $"{_dp.WorkerCount} worker(s), {_dp.Interfaces.Count} interface(s), {_dp.Buffers.FreeCount}/{_dp.Buffers.Count} buffers free",
        });

    /// <inheritdoc />
    public override Task<BatchReply> Apply(ConfigBatch request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Config work is synchronous (barrier + netlink); keep it off the gRPC I/O threads.
        return Task.Run(() =>
        {
            var reply = new BatchReply();
            var failed = false;
            foreach (var op in request.Ops)
            {
                if (failed && request.StopOnError)
                {
                    reply.Results.Add(new OpResult { Status = OpResult.Types.Status.Skipped, Error = "skipped after an earlier failure" });
                    continue;
                }

                var r = ApplyOne(op);
                failed |= r.Status == OpResult.Types.Status.Failed || (r.Status != OpResult.Types.Status.Ok && op.Action == ConfigOp.Types.Action.Put);
                reply.Results.Add(r);
            }

            return reply;
        });
    }

    /// <summary>Applies one operation; never throws.</summary>
    public OpResult ApplyOne(ConfigOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        try
        {
            var put = op.Action == ConfigOp.Types.Action.Put;
            return op.ObjectCase switch
            {
                ConfigOp.ObjectOneofCase.Interface => put ? PutInterface(op.Interface) : DeleteInterface(op.Interface),
                ConfigOp.ObjectOneofCase.Vrf => put ? PutVrf(op.Vrf) : DeleteVrf(op.Vrf),
                ConfigOp.ObjectOneofCase.Route => put ? PutRoute(op.Route) : DeleteRoute(op.Route),
                ConfigOp.ObjectOneofCase.Arp => put ? PutArp(op.Arp) : DeleteArp(op.Arp),
                ConfigOp.ObjectOneofCase.ProxyArp => put ? PutProxyArp(op.ProxyArp) : DeleteProxyArp(op.ProxyArp),
                ConfigOp.ObjectOneofCase.BridgeDomain => put ? PutBridgeDomain(op.BridgeDomain) : DeleteBridgeDomain(op.BridgeDomain),
                ConfigOp.ObjectOneofCase.L2Fib => put ? PutL2Fib(op.L2Fib) : DeleteL2Fib(op.L2Fib),
                _ => Failed("empty operation (no object set)"),
            };
        }
        catch (DataplaneException e)
        {
            return new OpResult
            {
                Status = e.Kind switch
                {
                    DataplaneError.NotFound => OpResult.Types.Status.NotFound,
                    DataplaneError.AlreadyExists => OpResult.Types.Status.AlreadyExists,
                    _ => OpResult.Types.Status.Failed,
                },
                Error = e.Message,
            };
        }
        catch (FormatException e)
        {
            return Failed(e.Message);
        }
    }

    private static OpResult Ok(SwInterface? i = null)
        => i is null ? new OpResult() : new OpResult { SwIfIndex = (uint)i.SwIfIndex, DevName = i.DevName };

    private static OpResult Failed(string error) => new() { Status = OpResult.Types.Status.Failed, Error = error };

    private static OpResult NotFound(string error) => new() { Status = OpResult.Types.Status.NotFound, Error = error };

    private SwInterface? Find(string name) => string.IsNullOrEmpty(name) ? null : _dp.FindInterface(name);

    private SwInterface Require(string name, string what)
        => Find(name) ?? throw new DataplaneException($"{what}: unknown interface '{name}'", DataplaneError.NotFound);

    private OpResult PutInterface(Api.Interface m)
    {
        var existing = Find(m.Name);
        if (existing is null && string.IsNullOrEmpty(m.Name) && m.Type == InterfaceType.Tap && m.Tap is { Id: > 0 } t0)
        {
            existing = Find($"tap{t0.Id}");
        }

        if (existing is null && string.IsNullOrEmpty(m.Name) && m.Type == InterfaceType.AfPacket && m.Afpacket is { } ap0)
        {
            existing = Find("host-" + ap0.HostIfName);
        }

        var mac = string.IsNullOrEmpty(m.PhysAddress) ? (MacAddress?)null : MacAddress.Parse(m.PhysAddress);
        if (existing is not null && (existing.Kind != KindOf(m.Type) || (m.Type == InterfaceType.Tap && TapChanged(existing, m.Tap))
            || (m.Type == InterfaceType.VxlanTunnel && VxlanChanged(existing, m.Vxlan))))
        {
            // Type or host side changed: recreate.
            _dp.DeleteInterface(existing);
            existing = null;
        }

        var intf = existing;
        if (intf is null)
        {
            var name = string.IsNullOrEmpty(m.Name) ? null : m.Name;
            intf = m.Type switch
            {
                InterfaceType.Tap => _dp.CreateTap(TapSettingsOf(m), mac, name, (int)m.Mtu),
                InterfaceType.AfPacket => _dp.CreateAfPacket(m.Afpacket?.HostIfName ?? throw new DataplaneException($"interface {m.Name}: AF_PACKET needs afpacket.host_if_name"), mac, name, (int)m.Mtu),
                InterfaceType.Loopback => _dp.CreateLoopback(mac, null, name),
                InterfaceType.VxlanTunnel => CreateVxlan(m, name),
                _ => throw new DataplaneException($"interface {m.Name}: type {m.Type} is not supported"),
            };
        }
        else if (mac is { } newMac && newMac != intf.Mac)
        {
            _dp.SetMac(intf, newMac);
        }

        if (m.Mtu > 0 && m.Mtu != intf.Mtu)
        {
            _dp.SetMtu(intf, (int)m.Mtu);
        }

        var wanted = new List<Ip4Prefix>();
        foreach (var a in m.IpAddresses)
        {
            wanted.Add(Ip4Prefix.Parse(a));
        }

        var table = _dp.FindTable(m.Vrf) ?? throw new DataplaneException($"interface {m.Name}: VRF {m.Vrf} does not exist", DataplaneError.NotFound);
        if (table.Index != intf.FibIndex)
        {
            foreach (var a in intf.Addresses.ToArray())
            {
                _dp.DeleteAddress(intf, a);
            }

            if (intf.UnnumberedTo >= 0)
            {
                _dp.SetUnnumbered(intf, null);
            }

            _dp.SetInterfaceTable(intf, m.Vrf);
        }

        foreach (var a in intf.Addresses.ToArray())
        {
            if (!wanted.Contains(a))
            {
                _dp.DeleteAddress(intf, a);
            }
        }

        var donor = string.IsNullOrEmpty(m.UnnumberedTo) ? null : Require(m.UnnumberedTo, $"interface {m.Name} unnumbered_to");
        if ((donor?.SwIfIndex ?? -1) != intf.UnnumberedTo)
        {
            _dp.SetUnnumbered(intf, donor);
        }

        foreach (var a in wanted)
        {
            _dp.AddAddress(intf, a);
        }

        _dp.SetAdminState(intf, m.Enabled);
        return Ok(intf);
    }

    private SwInterface CreateVxlan(Api.Interface m, string? name)
    {
        var v = m.Vxlan ?? throw new DataplaneException($"interface {m.Name}: VXLAN_TUNNEL needs vxlan {{src_address, dst_address, vni}}");
        return _dp.CreateVxlanTunnel(Ip4Address.Parse(v.SrcAddress), Ip4Address.Parse(v.DstAddress), v.Vni, v.EncapVrfId, null, name);
    }

    private static bool VxlanChanged(SwInterface i, VxlanLink? v)
    {
        if (v is null || i.Device is not Vxlan.VxlanDevice d)
        {
            return false;
        }

        var t = d.Tunnel;
        return !Ip4Address.TryParse(v.SrcAddress, out var src) || !Ip4Address.TryParse(v.DstAddress, out var dst)
            || t.Src != src || t.Dst != dst || t.Vni != v.Vni || t.EncapVrfId != v.EncapVrfId;
    }

    private OpResult PutBridgeDomain(Api.BridgeDomain b)
    {
        var bd = _dp.PutBridgeDomain(b.Id, new BridgeDomainSettings
        {
            Name = b.Name,
            Learn = b.Learn,
            Forward = b.Forward,
            Flood = b.Flood,
            UnknownUnicastFlood = b.UnknownUnicastFlood,
            ArpTermination = b.ArpTermination,
            MacAgeMinutes = (int)b.MacAgeMinutes,
        });
        var wanted = new HashSet<int>();
        foreach (var member in b.Interfaces)
        {
            var i = Require(member.Name, $"bridge domain {b.Id} member");
            wanted.Add(i.SwIfIndex);
            if (i.BridgeDomain != bd.Index || i.IsBvi != member.BridgedVirtualInterface || i.SplitHorizonGroup != (int)member.SplitHorizonGroup)
            {
                _dp.SetL2Bridge(i, b.Id, member.BridgedVirtualInterface, (int)member.SplitHorizonGroup);
            }
        }

        foreach (var sw in bd.Members)
        {
            if (!wanted.Contains(sw) && _dp.Interface(sw) is { } gone)
            {
                _dp.SetL3(gone);
            }
        }

        return Ok();
    }

    private OpResult DeleteBridgeDomain(Api.BridgeDomain b)
    {
        var bd = _dp.FindBridgeDomain(b.Id);
        if (bd is null)
        {
            return NotFound($"bridge domain {b.Id} does not exist");
        }

        foreach (var sw in bd.Members)
        {
            if (_dp.Interface(sw) is { } i)
            {
                _dp.SetL3(i);
            }
        }

        _dp.DeleteBridgeDomain(b.Id);
        return Ok();
    }

    private OpResult PutL2Fib(Api.L2FibEntry e)
    {
        var i = Require(e.OutgoingInterface, $"l2fib {e.PhysAddress} in bridge domain {e.BridgeDomainId}");
        _dp.AddL2Fib(e.BridgeDomainId, MacAddress.Parse(e.PhysAddress), i, e.Static, e.BridgedVirtualInterface);
        return Ok();
    }

    private OpResult DeleteL2Fib(Api.L2FibEntry e)
        => _dp.DeleteL2Fib(e.BridgeDomainId, MacAddress.Parse(e.PhysAddress))
            ? Ok() : NotFound($"l2fib {e.PhysAddress} in bridge domain {e.BridgeDomainId} does not exist");

    private static bool TapChanged(SwInterface i, TapLink? t)
    {
        if (t is null || i.Tap is null)
        {
            return false;
        }

        return !string.Equals(i.Tap.HostIfName, t.HostIfName, StringComparison.Ordinal)
            || !string.Equals(i.Tap.HostNamespace, t.HostNamespace, StringComparison.Ordinal)
            || (t.Id != 0 && i.Tap.Id != (int)t.Id);
    }

    private static TapSettings TapSettingsOf(Api.Interface m)
    {
        var t = m.Tap ?? new TapLink();
        return new TapSettings
        {
            Id = t.Id == 0 ? -1 : (int)t.Id,
            HostIfName = string.IsNullOrEmpty(t.HostIfName) ? (string.IsNullOrEmpty(m.Name) ? $"tap{t.Id}" : TruncateName(m.Name)) : t.HostIfName,
            HostNamespace = t.HostNamespace,
            HostMac = string.IsNullOrEmpty(t.HostMac) ? null : MacAddress.Parse(t.HostMac),
            HostIp4 = string.IsNullOrEmpty(t.HostIp4Prefix) ? null : Ip4Prefix.Parse(t.HostIp4Prefix),
            HostIp4Gateway = string.IsNullOrEmpty(t.HostIp4Gw) ? null : Ip4Address.Parse(t.HostIp4Gw),
            HostMtu = (int)t.HostMtu,
            Gso = t.EnableGso,
            HostUp = t.HostUp,
            RxRingSize = (int)t.RxRingSize,
            TxRingSize = (int)t.TxRingSize,
        };
    }

    private static string TruncateName(string n) => n.Length <= 15 ? n : n[..15];

    private static InterfaceKind KindOf(InterfaceType t) => t switch
    {
        InterfaceType.Tap => InterfaceKind.Tap,
        InterfaceType.AfPacket => InterfaceKind.AfPacket,
        InterfaceType.Loopback => InterfaceKind.Loopback,
        InterfaceType.VxlanTunnel => InterfaceKind.Vxlan,
        _ => InterfaceKind.Local,
    };

    private OpResult DeleteInterface(Api.Interface m)
    {
        var name = !string.IsNullOrEmpty(m.Name) ? m.Name : m.DevName;
        var i = Find(name);
        if (i is null)
        {
            return NotFound($"interface '{name}' does not exist");
        }

        _dp.DeleteInterface(i);
        return Ok(i);
    }

    private OpResult PutVrf(VrfTable v)
    {
        _dp.AddTable(v.Id, v.Label);
        return Ok();
    }

    private OpResult DeleteVrf(VrfTable v)
    {
        if (_dp.FindTable(v.Id) is null)
        {
            return NotFound($"VRF {v.Id} does not exist");
        }

        _dp.DeleteTable(v.Id);
        return Ok();
    }

    private RouteSpec SpecOf(Api.Route r)
    {
        var prefix = Ip4Prefix.Parse(r.DstNetwork);
        var sw = string.IsNullOrEmpty(r.OutInterface) ? -1 : Require(r.OutInterface, $"route {r.DstNetwork} vrf {r.VrfId}").SwIfIndex;
        var nh = string.IsNullOrEmpty(r.NextHopAddr) ? 0 : Ip4Address.Parse(r.NextHopAddr);
        return new RouteSpec
        {
            TableId = r.VrfId,
            Prefix = new Ip4Prefix(prefix.Network, prefix.Length),
            NextHop = r.Type == RouteType.IntraVrf ? nh : 0,
            OutSwIfIndex = r.Type is RouteType.IntraVrf or RouteType.Local ? sw : -1,
            Kind = r.Type switch
            {
                RouteType.InterVrf => RouteKind.InterVrf,
                RouteType.Drop => RouteKind.Drop,
                RouteType.Local => RouteKind.Local,
                _ => RouteKind.Forward,
            },
            ViaTableId = r.Type == RouteType.InterVrf ? r.ViaVrfId : 0,
            Weight = r.Weight == 0 ? 1 : (int)r.Weight,
            Preference = (int)r.Preference,
        };
    }

    private OpResult PutRoute(Api.Route r)
    {
        _dp.AddRoute(SpecOf(r));
        return Ok();
    }

    private OpResult DeleteRoute(Api.Route r)
    {
        RouteSpec spec;
        try
        {
            spec = SpecOf(r);
        }
        catch (DataplaneException e) when (e.Kind == DataplaneError.NotFound)
        {
            return NotFound(e.Message);
        }

        // The key ignores weight/preference: find the configured route with the same key.
        foreach (var existing in _dp.Routes)
        {
            if (existing.Key == spec.Key)
            {
                _dp.DeleteRoute(existing);
                return Ok();
            }
        }

        return NotFound($"route {r.DstNetwork} vrf {r.VrfId} via '{r.NextHopAddr}' '{r.OutInterface}' does not exist");
    }

    private OpResult PutArp(ArpEntry a)
    {
        var i = Require(a.Interface, $"ARP entry {a.IpAddress}");
        _dp.SetNeighbor(i, Ip4Address.Parse(a.IpAddress), MacAddress.Parse(a.PhysAddress), a.Static);
        return Ok();
    }

    private OpResult DeleteArp(ArpEntry a)
    {
        var i = Find(a.Interface);
        return i is not null && _dp.DeleteNeighbor(i, Ip4Address.Parse(a.IpAddress)) ? Ok() : NotFound($"ARP entry {a.IpAddress} on '{a.Interface}' does not exist");
    }

    private OpResult PutProxyArp(Api.ProxyArpRange p)
    {
        var ifs = new List<SwInterface>();
        foreach (var n in p.Interfaces)
        {
            ifs.Add(Require(n, $"proxy ARP range {p.FirstIp}-{p.LastIp}"));
        }

        _dp.AddProxyArpRange(new Contiv.Vpp.ProxyArpRange(p.VrfId, Ip4Address.Parse(p.FirstIp), Ip4Address.Parse(p.LastIp)), ifs);
        return Ok();
    }

    private OpResult DeleteProxyArp(Api.ProxyArpRange p)
        => _dp.DeleteProxyArpRange(new Contiv.Vpp.ProxyArpRange(p.VrfId, Ip4Address.Parse(p.FirstIp), Ip4Address.Parse(p.LastIp)))
            ? Ok() : NotFound($"proxy ARP range {p.FirstIp}-{p.LastIp} in VRF {p.VrfId} does not exist");

    /// <inheritdoc />
    public override Task<DumpReply> Dump(DumpRequest request, ServerCallContext context)
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

        return Task.FromResult(reply);
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

    /// <inheritdoc />
    public override Task<InterfaceStatsReply> DumpInterfaceStats(Empty request, ServerCallContext context)
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

        return Task.FromResult(reply);
    }

    /// <inheritdoc />
    public override Task<CliReply> Cli(CliRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() =>
        {
            var r = _cli.Execute(request.Command);
            return new CliReply { Output = r.Output, Error = r.Error };
        });
    }

    /// <inheritdoc />
    public override async Task WatchInterfaces(Empty request, IServerStreamWriter<InterfaceEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var channel = Channel.CreateBounded<InterfaceEvent>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
        void Handler(SwInterface i, InterfaceChange change) => channel.Writer.TryWrite(new InterfaceEvent
        {
            Kind = change switch
            {
                InterfaceChange.Created => InterfaceEvent.Types.Kind.Created,
                InterfaceChange.Deleted => InterfaceEvent.Types.Kind.Deleted,
                _ => InterfaceEvent.Types.Kind.Changed,
            },
            Name = i.Name,
            DevName = i.DevName,
            SwIfIndex = (uint)i.SwIfIndex,
            AdminUp = i.AdminUp,
            LinkUp = i.OperUp,
        });

        _dp.InterfaceChanged += Handler;
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(e, context.CancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // client went away
        }
        finally
        {
            _dp.InterfaceChanged -= Handler;
        }
    }
}
