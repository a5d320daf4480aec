using System.Diagnostics;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Nat;

namespace Contiv.Vpp;

/// <summary>NAT44 role of an interface (<c>set interface nat44 in|out &lt;if&gt; [output-feature]</c>).</summary>
[Flags]
public enum NatInterfaceRole
{
    /// <summary>No NAT on the interface.</summary>
    None = 0,
    /// <summary>Inside: replies of DNATed connections (and locals of bidirectional mappings) are translated back here (nat44-in2out).</summary>
    Inside = 1,
    /// <summary>Outside: packets to static-mapping addresses are DNATed, replies of SNAT sessions un-SNATed here (nat44-out2in).</summary>
    Outside = 2,
    /// <summary>Post-routing dynamic SNAT of what leaves through the interface (nat44-in2out-output), plus out2in for the replies.</summary>
    OutputFeature = 4,
}

/// <summary>
/// NAT44 global settings as configured (VPP's nat44 forwarding / timeouts; timeouts in seconds, 0 = default).
/// </summary>
public sealed record NatGlobalSettings
{
    /// <summary>Packets matching no mapping or session pass untranslated.</summary>
    public bool Forwarding { get; init; } = true;
    /// <summary>Drop fragments (always the case: no virtual reassembly); recorded for dumps.</summary>
    public bool DropFragments { get; init; }
    /// <summary>TCP established timeout, 0 = 7440.</summary>
    public uint TcpEstablishedTimeout { get; init; }
    /// <summary>TCP transitory timeout, 0 = 240.</summary>
    public uint TcpTransitoryTimeout { get; init; }
    /// <summary>UDP timeout, 0 = 300.</summary>
    public uint UdpTimeout { get; init; }
    /// <summary>ICMP timeout, 0 = 60.</summary>
    public uint IcmpTimeout { get; init; }
}

// NAT44 control: the engine instance, per-interface roles (feature enablement) and the clock the NAT
// nodes share. The engine is single-caller: nodes take NatLock once per vector; control operations run
// at the barrier (no node is inside a vector then), CLI/API reads too.
// Other assemblies (the daemon) get only the public methods below, which take and return the small
// records of Nat/NatControlRecords.cs: the engine classes stay internal.
public sealed partial class Dataplane
{
    private readonly Dictionary<int, NatInterfaceRole> _natRoles = [];
    private Nat44? _nat;
    private NatGlobalSettings _natGlobal = new();

    /// <summary>Lock the NAT nodes hold while they process a vector (docs/nat44.md, "Threads").</summary>
    internal Lock NatLock { get; } = new();

    /// <summary>
    /// The engine, created on first use (its session table is allocated up front, so data planes
    /// that never configure NAT do not pay for it). Control path only; call at the barrier.
    /// </summary>
    internal Nat44 NatEngine
    {
        get
        {
            if (_nat is null)
            {
                var nat = new Nat44(Options.NatMaxSessions);
                ApplyNatGlobal(nat, _natGlobal);
                Volatile.Write(ref _nat, nat);
            }

            return _nat;
        }
    }

    /// <summary>The engine if it was created (nodes: it always is once a NAT feature is enabled).</summary>
    internal Nat44? NatIfCreated => Volatile.Read(ref _nat);

    /// <summary>Seconds since the data plane started: the clock of NAT sessions (read once per vector).</summary>
    internal double NatNow() => (Stopwatch.GetTimestamp() - StartTicks) / (double)Stopwatch.Frequency;

    /// <summary>Runs <paramref name="action"/> on the NAT engine at the barrier.</summary>
    internal T WithNat<T>(Func<Nat44, T> action) => Exclusive(() => action(NatEngine));

    /// <summary>Runs <paramref name="action"/> on the NAT engine at the barrier.</summary>
    internal void WithNat(Action<Nat44> action) => Exclusive(() => action(NatEngine));

    /// <summary>The NAT44 global settings as last configured.</summary>
    public NatGlobalSettings NatGlobal => _natGlobal;

    /// <summary>Sets forwarding and the session timeouts.</summary>
    public void SetNatGlobal(NatGlobalSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Exclusive(() =>
        {
            _natGlobal = settings;
            ApplyNatGlobal(NatEngine, settings);
        });
    }

    /// <summary>The NAT role of an interface.</summary>
    public NatInterfaceRole NatRole(SwInterface intf)
    {
        ArgumentNullException.ThrowIfNull(intf);
        lock (_control)
        {
            return _natRoles.GetValueOrDefault(intf.SwIfIndex);
        }
    }

    /// <summary>Interfaces with a NAT role, by sw_if_index.</summary>
    public IReadOnlyList<(SwInterface Interface, NatInterfaceRole Role)> NatInterfaces
    {
        get
        {
            lock (_control)
            {
                var l = new List<(SwInterface, NatInterfaceRole)>(_natRoles.Count);
                foreach (var (sw, role) in _natRoles.OrderBy(kv => kv.Key))
                {
                    if (Interface(sw) is { } i)
                    {
                        l.Add((i, role));
                    }
                }

                return l;
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="role"/> the NAT role of <paramref name="intf"/>: enables exactly the NAT
    /// features it needs (Outside or OutputFeature → nat44-out2in on ip4-unicast; Inside → nat44-in2out
    /// on ip4-unicast; OutputFeature → nat44-in2out-output on ip4-output) and disables the others.
    /// </summary>
    public void SetNatRole(SwInterface intf, NatInterfaceRole role)
    {
        ArgumentNullException.ThrowIfNull(intf);
        Exclusive(() =>
        {
            _ = NatEngine;
            SetFeature(intf, FeatureArcs.Ip4UnicastName, Nat44Out2InNode.NodeName, (role & (NatInterfaceRole.Outside | NatInterfaceRole.OutputFeature)) != 0);
            SetFeature(intf, FeatureArcs.Ip4UnicastName, Nat44In2OutNode.NodeName, (role & NatInterfaceRole.Inside) != 0);
            SetFeature(intf, FeatureArcs.Ip4OutputName, Nat44In2OutNode.OutputNodeName, (role & NatInterfaceRole.OutputFeature) != 0);
            if (role == NatInterfaceRole.None)
            {
                _natRoles.Remove(intf.SwIfIndex);
            }
            else
            {
                _natRoles[intf.SwIfIndex] = role;
            }
        });
    }

    /// <summary>
    /// Adds VRF <paramref name="vrf"/> to the identity mapping of (address, port, protocol): traffic to and
    /// from it is never translated there. One engine mapping per address/port holds one local per VRF.
    /// </summary>
    public void PutNatIdentity(uint address, NatProtocol protocol, ushort port, uint vrf, string? tag) => WithNat(nat =>
    {
        var key = new NatExternalKey(address, protocol == NatProtocol.None ? (ushort)0 : port, protocol);
        var locals = new List<NatLocal>();
        if (nat.Mappings.Find(key) is { } m)
        {
            if ((m.Flags & NatMappingFlags.Identity) == 0)
            {
                throw new DataplaneException($"NAT identity mapping {key}: a static mapping with that external address exists", DataplaneError.AlreadyExists);
            }

            foreach (var l in m.Locals)
            {
                if (l.Vrf != vrf)
                {
                    locals.Add(l);
                }
            }
        }

        locals.Add(new NatLocal(address, key.Port, vrf, 0));
        nat.Mappings.Put(key, NatMappingFlags.Identity, locals, tag: tag);
    });

    /// <summary>Removes VRF <paramref name="vrf"/> from an identity mapping (the mapping goes with its last VRF); false when absent.</summary>
    public bool DeleteNatIdentity(uint address, NatProtocol protocol, ushort port, uint vrf) => WithNat(nat =>
    {
        var key = new NatExternalKey(address, protocol == NatProtocol.None ? (ushort)0 : port, protocol);
        if (nat.Mappings.Find(key) is not { } m || (m.Flags & NatMappingFlags.Identity) == 0 || !m.TryFindLocal(address, key.Port, vrf, out _))
        {
            return false;
        }

        if (m.Locals.Length == 1)
        {
            return nat.Mappings.Remove(key);
        }

        var locals = new List<NatLocal>();
        foreach (var l in m.Locals)
        {
            if (l.Vrf != vrf)
            {
                locals.Add(l);
            }
        }

        nat.Mappings.Put(key, NatMappingFlags.Identity, locals, tag: m.Tag);
        return true;
    });

    /// <summary>The NAT44 pool addresses, in the order added.</summary>
    public IReadOnlyList<NatPoolAddress> NatAddresses => WithNat(nat =>
    {
        var l = new List<NatPoolAddress>();
        foreach (var (address, vrf, twice) in nat.Pool.Addresses)
        {
            l.Add(new NatPoolAddress(address, vrf, twice));
        }

        return l;
    });

    /// <summary>
    /// Adds <paramref name="address"/> to the pool (twice-NAT pool when <paramref name="twiceNat"/>);
    /// an address already there with another tenant VRF is re-added with the new one, the same VRF is a no-op.
    /// </summary>
    public void PutNatAddress(uint address, uint tenantVrf, bool twiceNat) => WithNat(nat =>
    {
        foreach (var (a, vrf, twice) in nat.Pool.Addresses)
        {
            if (a == address && twice == twiceNat)
            {
                if (vrf == tenantVrf)
                {
                    return;
                }

                nat.Pool.Remove(address, twiceNat);
                break;
            }
        }

        nat.Pool.Add(address, tenantVrf, twiceNat);
    });

    /// <summary>Removes a pool address; false when it is not in that pool.</summary>
    public bool RemoveNatAddress(uint address, bool twiceNat) => WithNat(nat => nat.Pool.Remove(address, twiceNat));

    /// <summary>Static and identity mappings, in the engine's order.</summary>
    public IReadOnlyList<NatStaticMappingEntry> NatStaticMappings => WithNat(nat =>
    {
        var l = new List<NatStaticMappingEntry>();
        foreach (var m in nat.Mappings.All)
        {
            var locals = new NatMappingLocal[m.Locals.Length];
            for (var i = 0; i < locals.Length; i++)
            {
                var x = m.Locals[i];
                locals[i] = new NatMappingLocal(x.Address, x.Port, x.Vrf, x.Probability);
            }

            l.Add(new NatStaticMappingEntry
            {
                External = m.External,
                Locals = locals,
                Identity = (m.Flags & NatMappingFlags.Identity) != 0,
                Out2InOnly = (m.Flags & NatMappingFlags.Out2InOnly) != 0,
                TwiceNat = (m.Flags & NatMappingFlags.TwiceNat) != 0 ? NatTwiceNatMode.Enabled
                    : (m.Flags & NatMappingFlags.SelfTwiceNat) != 0 ? NatTwiceNatMode.Self : NatTwiceNatMode.Disabled,
                AffinityTimeout = m.AffinityTimeout,
                TwiceNatAddress = m.TwiceNatAddress,
                Tag = m.Tag,
            });
        }

        return l;
    });

    /// <summary>
    /// Creates or updates the static mapping keyed by <see cref="NatStaticMappingEntry.External"/>. Same key =
    /// update in place: sessions hold their translation by value, so connections to locals that stay keep
    /// working (and those to removed locals idle out). Fails with AlreadyExists when an identity mapping has that key.
    /// </summary>
    public void PutNatStaticMapping(NatStaticMappingEntry mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        if (mapping.Identity)
        {
            throw new ArgumentException($"NAT44 static mapping {mapping.External}: identity mappings are put with PutNatIdentity", nameof(mapping));
        }

        var key = mapping.External;
        var locals = new List<NatLocal>(mapping.Locals.Count);
        foreach (var l in mapping.Locals)
        {
            locals.Add(new NatLocal(l.Address, l.Port, l.Vrf, l.Probability));
        }

        var flags = (mapping.Out2InOnly ? NatMappingFlags.Out2InOnly : 0) | mapping.TwiceNat switch
        {
            NatTwiceNatMode.Enabled => NatMappingFlags.TwiceNat,
            NatTwiceNatMode.Self => NatMappingFlags.SelfTwiceNat,
            _ => NatMappingFlags.None,
        };
        WithNat(nat =>
        {
            if (nat.Mappings.Find(key) is { } old && (old.Flags & NatMappingFlags.Identity) != 0)
            {
                throw new DataplaneException($"NAT44 static mapping {key}: an identity mapping has that external address", DataplaneError.AlreadyExists);
            }

            nat.Mappings.Put(key, flags, locals, mapping.AffinityTimeout, mapping.TwiceNatAddress, mapping.Tag, loadBalancing: locals.Count > 1);
        });
    }

    /// <summary>Removes the static (not identity) mapping with that external key; false when there is none.</summary>
    public bool RemoveNatStaticMapping(NatExternalKey key)
        => WithNat(nat => nat.Mappings.Find(key) is { } old && (old.Flags & NatMappingFlags.Identity) == 0 && nat.Mappings.Remove(key));

    /// <summary>
    /// Sessions idle at least <paramref name="minIdleSeconds"/>, with the TCP/other totals of all sessions
    /// (one pass at the barrier).
    /// </summary>
    public NatSessionSnapshot NatSessions(double minIdleSeconds) => WithNat(nat =>
    {
        var now = NatNow();
        int tcp = 0, other = 0;
        var sessions = new List<NatSessionInfo>();
        foreach (var i in nat.SessionIndexes())
        {
            ref var s = ref nat.Sessions[i];
            var inKey = s.In2OutKey;
            var outKey = s.Out2InKey;
            if (inKey.Protocol == NatProtocol.Tcp)
            {
                tcp++;
            }
            else
            {
                other++;
            }

            var idle = Math.Max(0, now - s.LastHeard);
            if (idle < minIdleSeconds)
            {
                continue;
            }

            var twice = (s.Flags & NatSessionFlags.TwiceNat) != 0;
            sessions.Add(new NatSessionInfo
            {
                Protocol = inKey.Protocol,
                InsideAddress = inKey.Src,
                InsidePort = inKey.SrcPort,
                InsideFib = inKey.Fib,
                OutsideAddress = outKey.Dst,
                OutsidePort = outKey.DstPort,
                ExtHostAddress = outKey.Src,
                ExtHostPort = outKey.SrcPort,
                TwiceNat = twice,
                ExtHostNatAddress = twice ? inKey.Dst : 0,
                ExtHostNatPort = twice ? inKey.DstPort : (ushort)0,
                IdleSeconds = idle,
                TcpEstablished = s.TcpState == NatTcpState.Established,
                Packets = s.Packets,
                Bytes = s.Bytes,
            });
        }

        return new NatSessionSnapshot(tcp, other, sessions);
    });

    /// <summary>
    /// Deletes the sessions with those outside keys; returns how many were deleted (a key matching no
    /// live session, or repeating one already deleted, counts as not found). One pass builds an index of
    /// the live sessions, so a request of many keys costs O(sessions + keys) at the barrier.
    /// </summary>
    public int DeleteNatSessions(IReadOnlyList<NatSessionOutsideKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return WithNat(nat =>
        {
            var index = new Dictionary<NatSessionOutsideKey, int>();
            foreach (var i in nat.SessionIndexes())
            {
                ref var s = ref nat.Sessions[i];
                var o = s.Out2InKey;
                index[new NatSessionOutsideKey(o.Protocol, o.Dst, o.DstPort, o.Src, o.SrcPort)] = i;
                if ((s.Flags & NatSessionFlags.TwiceNat) != 0)
                {
                    index.TryAdd(new NatSessionOutsideKey(o.Protocol, o.Dst, o.DstPort, s.In2OutKey.Dst, s.In2OutKey.DstPort), i);
                }
            }

            var deleted = 0;
            foreach (var key in keys)
            {
                if (index.Remove(key, out var i) && nat.Sessions[i].InUse)
                {
                    nat.DeleteSession(i);
                    deleted++;
                }
            }

            return deleted;
        });
    }

    /// <summary>Forgets the NAT role of a deleted interface (its feature chains go with it).</summary>
    private void ForgetNatRole(int swIfIndex) => _natRoles.Remove(swIfIndex);

    /// <summary>FIB index of table <paramref name="tableId"/>, or -1 (a scan of the few tables; no allocation).</summary>
    internal int FibIndexOfTable(uint tableId)
    {
        var fibs = FibArray;
        for (var i = 0; i < fibs.Length; i++)
        {
            if (fibs[i] is { } t && t.TableId == tableId)
            {
                return t.Index;
            }
        }

        return -1;
    }

    private static void ApplyNatGlobal(Nat44 nat, NatGlobalSettings s)
    {
        nat.Forwarding = s.Forwarding;
        var d = new NatTimeouts();
        nat.Timeouts = new NatTimeouts
        {
            TcpEstablished = s.TcpEstablishedTimeout == 0 ? d.TcpEstablished : s.TcpEstablishedTimeout,
            TcpTransitory = s.TcpTransitoryTimeout == 0 ? d.TcpTransitory : s.TcpTransitoryTimeout,
            Udp = s.UdpTimeout == 0 ? d.Udp : s.UdpTimeout,
            Icmp = s.IcmpTimeout == 0 ? d.Icmp : s.IcmpTimeout,
        };
    }
}
