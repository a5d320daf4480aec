using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.L2;
using Contiv.Vpp.Vxlan;

namespace Contiv.Vpp;

/// <summary>Flags of a bridge domain (VPP's create bridge-domain options).</summary>
public sealed record BridgeDomainSettings
{
    /// <summary>Label.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Learn source MACs.</summary>
    public bool Learn { get; init; } = true;

    /// <summary>Forward known unicast.</summary>
    public bool Forward { get; init; } = true;

    /// <summary>Flood broadcast/multicast.</summary>
    public bool Flood { get; init; } = true;

    /// <summary>Flood unknown unicast.</summary>
    public bool UnknownUnicastFlood { get; init; } = true;

    /// <summary>ARP termination (recorded only).</summary>
    public bool ArpTermination { get; init; }

    /// <summary>Age of learned entries in minutes (0 = off).</summary>
    public int MacAgeMinutes { get; init; }
}

public sealed partial class Dataplane
{
    private readonly List<BridgeDomain?> _bds = [null];

    /// <summary>Bridge domains by index (index 0 unused, like VPP's reserved BD 0).</summary>
    public BridgeDomain?[] BridgeDomainArray { get; private set; } = [null];

    /// <summary>Tunnels by (remote VTEP, local VTEP, VNI) → tunnel sw_if_index, as seen on decap (outer src, outer dst, vni).</summary>
    public IReadOnlyDictionary<(uint Src, uint Dst, uint Vni), int> VxlanLookup { get; private set; } = new Dictionary<(uint, uint, uint), int>();

    /// <summary>Every bridge domain.</summary>
    public IReadOnlyList<BridgeDomain> BridgeDomains
    {
        get
        {
            var l = new List<BridgeDomain>();
            foreach (var b in BridgeDomainArray)
            {
                if (b is not null)
                {
                    l.Add(b);
                }
            }

            return l;
        }
    }

    /// <summary>Finds a bridge domain by id.</summary>
    public BridgeDomain? FindBridgeDomain(uint id)
    {
        foreach (var b in BridgeDomainArray)
        {
            if (b is not null && b.Id == id)
            {
                return b;
            }
        }

        return null;
    }

    /// <summary>Creates or updates a bridge domain.</summary>
    public BridgeDomain PutBridgeDomain(uint id, BridgeDomainSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (id == 0 || id > 0xffffff)
        {
            throw new DataplaneException(id == 0 ? "bridge domain 0 can not be modified" : $"bridge domain id {id} is out of range (1..16777215)");
        }

        return Exclusive(() =>
        {
            var bd = FindBridgeDomain(id);
            if (bd is null)
            {
                var index = _bds.IndexOf(null, 1);
                if (index < 0)
                {
                    index = _bds.Count;
                    _bds.Add(null);
                }

                bd = new BridgeDomain(index, id);
                _bds[index] = bd;
                BridgeDomainArray = [.. _bds];
            }

            bd.Name = settings.Name;
            bd.Learn = settings.Learn;
            bd.Forward = settings.Forward;
            bd.Flood = settings.Flood;
            bd.UnknownUnicastFlood = settings.UnknownUnicastFlood;
            bd.ArpTermination = settings.ArpTermination;
            bd.MacAgeMinutes = settings.MacAgeMinutes;
            return bd;
        });
    }

    /// <summary>Deletes a bridge domain without members.</summary>
    public void DeleteBridgeDomain(uint id)
    {
        Exclusive(() =>
        {
            var bd = FindBridgeDomain(id) ?? throw new DataplaneException($"bridge domain {id} does not exist", DataplaneError.NotFound);
            if (bd.Members.Length > 0)
            {
                throw new DataplaneException($"bridge domain {id} in use - remove members");
            }

            _bds[bd.Index] = null;
            BridgeDomainArray = [.. _bds];
        });
    }

    /// <summary>Puts an interface into a bridge domain (creating the domain with defaults when missing).</summary>
    public void SetL2Bridge(SwInterface intf, uint bdId, bool bvi, int splitHorizonGroup)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (intf.SwIfIndex == 0)
        {
            throw new DataplaneException("local0 cannot be bridged");
        }

        var bd = FindBridgeDomain(bdId) ?? PutBridgeDomain(bdId, new BridgeDomainSettings());
        Exclusive(() =>
        {
            if (bvi && bd.Bvi >= 0 && bd.Bvi != intf.SwIfIndex)
            {
                throw new DataplaneException($"bridge-domain {bdId} already has a bvi interface ({Interface(bd.Bvi)?.DevName})");
            }

            if (bvi && intf.Kind != InterfaceKind.Loopback)
            {
                throw new DataplaneException($"{intf.DevName}: only a loopback interface can be a BVI");
            }

            RemoveFromBridgeDomain(intf);
            intf.BridgeDomain = bd.Index;
            intf.IsBvi = bvi;
            intf.SplitHorizonGroup = splitHorizonGroup;
            bd.Members = [.. bd.Members, intf.SwIfIndex];
            if (bvi)
            {
                bd.Bvi = intf.SwIfIndex;
                bd.Fib[intf.Mac.Value] = new L2FibEntry(intf.Mac.Value, intf.SwIfIndex, true, true);
            }
        });
    }

    /// <summary>Takes an interface out of its bridge domain (L3 mode again).</summary>
    public void SetL3(SwInterface intf)
    {
        ArgumentNullException.ThrowIfNull(intf);
        Exclusive(() => RemoveFromBridgeDomain(intf));
    }

    private void RemoveFromBridgeDomain(SwInterface intf)
    {
        if (intf.BridgeDomain < 0 || BridgeDomainArray[intf.BridgeDomain] is not { } bd)
        {
            intf.BridgeDomain = -1;
            return;
        }

        bd.Members = Array.FindAll(bd.Members, s => s != intf.SwIfIndex);
        if (bd.Bvi == intf.SwIfIndex)
        {
            bd.Bvi = -1;
        }

        foreach (var (mac, e) in bd.Fib)
        {
            if (e.SwIfIndex == intf.SwIfIndex)
            {
                bd.Fib.TryRemove(mac, out _);
            }
        }

        intf.BridgeDomain = -1;
        intf.IsBvi = false;
        intf.SplitHorizonGroup = 0;
    }

    /// <summary>Adds a static (or dynamic) L2 FIB entry; the interface must be a member of the domain.</summary>
    public void AddL2Fib(uint bdId, MacAddress mac, SwInterface intf, bool isStatic, bool bvi)
    {
        ArgumentNullException.ThrowIfNull(intf);
        Exclusive(() =>
        {
            var bd = FindBridgeDomain(bdId) ?? throw new DataplaneException($"bridge domain {bdId} does not exist", DataplaneError.NotFound);
            if (intf.BridgeDomain != bd.Index)
            {
                throw new DataplaneException($"l2fib {mac}: interface {intf.DevName} is not in bridge domain {bdId}", DataplaneError.NotFound);
            }

            bd.Fib[mac.Value] = new L2FibEntry(mac.Value, intf.SwIfIndex, isStatic || bvi, bvi);
        });
    }

    /// <summary>Removes an L2 FIB entry; false when missing.</summary>
    public bool DeleteL2Fib(uint bdId, MacAddress mac)
        => Exclusive(() => FindBridgeDomain(bdId) is { } bd && bd.Fib.TryRemove(mac.Value, out _));

    /// <summary>Creates a VXLAN tunnel interface (<c>vxlan_tunnel&lt;n&gt;</c>), admin up like VPP's.</summary>
    public SwInterface CreateVxlanTunnel(uint src, uint dst, uint vni, uint encapVrfId = 0, int? instance = null, string? name = null)
    {
        if (src == dst)
        {
            throw new DataplaneException($"vxlan tunnel: src and dst must differ ({Ip4Address.Format(src)})");
        }

        if (vni > 0xffffff)
        {
            throw new DataplaneException($"vxlan tunnel: vni {vni} is not a 24-bit value");
        }

        return Created(Exclusive(() =>
        {
            var fib = FindTable(encapVrfId) ?? throw new DataplaneException($"nonexistent encap-vrf-id {encapVrfId}", DataplaneError.NotFound);
            if (VxlanLookup.ContainsKey((dst, src, vni)))
            {
                throw new DataplaneException($"vxlan tunnel src {Ip4Address.Format(src)} dst {Ip4Address.Format(dst)} vni {vni}: tunnel already exists...", DataplaneError.AlreadyExists);
            }

            var inst = instance ?? LowestFreeInstance(InterfaceKind.Vxlan);
            if (InstanceTaken(InterfaceKind.Vxlan, inst))
            {
                throw new DataplaneException($"vxlan_tunnel{inst}: Instance is in use", DataplaneError.AlreadyExists);
            }

            var intf = NewInterface($"vxlan_tunnel{inst}", InterfaceKind.Vxlan, name);
            intf.Instance = inst;
            intf.Mac = MacAddress.Zero;
            intf.Mtu = 9000;
            var tunnel = new VxlanTunnel { Src = src, Dst = dst, Vni = vni, EncapVrfId = encapVrfId, EncapFibIndex = fib.Index, SwIfIndex = intf.SwIfIndex, Instance = inst };
            Attach(intf, new VxlanDevice(tunnel, Graph.IndexOf(VxlanEncapNode.NodeName)));
            intf.AdminUp = true;
            var lookup = new Dictionary<(uint, uint, uint), int>(VxlanLookup) { [(dst, src, vni)] = intf.SwIfIndex };
            VxlanLookup = lookup;
            return intf;
        }));
    }

    private void RemoveL2State(SwInterface intf)
    {
        RemoveFromBridgeDomain(intf);
        if (intf.Device is VxlanDevice v)
        {
            var lookup = new Dictionary<(uint, uint, uint), int>(VxlanLookup);
            lookup.Remove((v.Tunnel.Dst, v.Tunnel.Src, v.Tunnel.Vni));
            VxlanLookup = lookup;
        }
    }

    /// <summary>Ages learned L2 FIB entries of domains with mac-age set.</summary>
    private void AgeL2Fib()
    {
        var now = Environment.TickCount64;
        foreach (var bd in BridgeDomainArray)
        {
            if (bd is null || bd.MacAgeMinutes == 0)
            {
                continue;
            }

            var max = bd.MacAgeMinutes * 60_000L;
            foreach (var (mac, e) in bd.Fib)
            {
                if (!e.Static && now - e.LastSeenTicks > max)
                {
                    bd.Fib.TryRemove(mac, out _);
                }
            }
        }
    }
}
