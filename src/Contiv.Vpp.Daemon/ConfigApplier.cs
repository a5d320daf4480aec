using Ip4Prefix = Contiv.Linux.Ip4Prefix;
using Contiv.Model.Vpp;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using Api = Contiv.Model.Vpp;
using Engine = Contiv.Vpp.Dataplane;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// Maps the API's configuration operations (proto messages) onto the engine's own types and calls:
/// interfaces, VRFs, routes, ARP, proxy ARP, bridge domains, L2 FIB. The engine never sees a proto message.
/// </summary>
internal sealed partial class ConfigApplier(Engine dp)
{
    private readonly Engine _dp = dp;

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
                ConfigOp.ObjectOneofCase.Nat44Global => put ? PutNat44Global(op.Nat44Global) : DeleteNat44Global(),
                ConfigOp.ObjectOneofCase.Nat44Interface => put ? PutNat44Interface(op.Nat44Interface) : DeleteNat44Interface(op.Nat44Interface),
                ConfigOp.ObjectOneofCase.Nat44Address => put ? PutNat44Address(op.Nat44Address) : DeleteNat44Address(op.Nat44Address),
                ConfigOp.ObjectOneofCase.Nat44StaticMapping => put ? PutNat44StaticMapping(op.Nat44StaticMapping) : DeleteNat44StaticMapping(op.Nat44StaticMapping),
                ConfigOp.ObjectOneofCase.Nat44IdentityMapping => put ? PutNat44IdentityMapping(op.Nat44IdentityMapping) : DeleteNat44IdentityMapping(op.Nat44IdentityMapping),
                ConfigOp.ObjectOneofCase.Acl => put ? PutAcl(op.Acl) : DeleteAcl(op.Acl),
                ConfigOp.ObjectOneofCase.StnRule => put ? PutStnRule(op.StnRule) : DeleteStnRule(op.StnRule),
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
        catch (ArgumentException e)
        {
            // The NAT engine reports invalid mappings (conflicting locals, bad flags) this way.
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
            wanted.Add(Ip4Prefix.ParseAddress(a));
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

        if (_dp.SourceCheck(intf) != m.SourceCheck)
        {
            _dp.SetSourceCheck(intf, m.SourceCheck);
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
            HostIp4 = string.IsNullOrEmpty(t.HostIp4Prefix) ? null : Ip4Prefix.ParseAddress(t.HostIp4Prefix),
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
        var prefix = Ip4Prefix.ParseAddress(r.DstNetwork);
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
}
