using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Nat;

/// <summary>
/// Static mappings with two O(1) indexes: by external (address, port, protocol) — address-only
/// mappings under (address, 0, None) — for outside→inside packets, and by local (address, port,
/// protocol, VRF) for inside→outside packets. Out2in-only mappings are not in the local index: a
/// backend serving many Services (ClusterIP, NodePort per node IP…) is then no conflict, and they
/// never translate inside-initiated traffic anyway. Changing one mapping or one local touches only
/// that mapping; sessions hold their translation by value, so they survive any change.
/// </summary>
internal sealed class NatStaticMappingTable
{
    private readonly Dictionary<NatExternalKey, NatStaticMapping> _byExternal = [];
    private readonly Dictionary<NatLocalKey, NatStaticMapping> _byLocal = [];
    private int _nextId;

    /// <summary>Number of mappings.</summary>
    public int Count => _byExternal.Count;

    /// <summary>All mappings (control path: CLI, dumps).</summary>
    public IEnumerable<NatStaticMapping> All => _byExternal.Values;

    /// <summary>Outside→inside lookup: the port mapping for (address, port, protocol), else the address-only one.</summary>
    public bool TryFindByExternal(uint address, ushort port, NatProtocol protocol, out NatStaticMapping mapping)
    {
        if (_byExternal.TryGetValue(new NatExternalKey(address, port, protocol), out mapping!))
        {
            return true;
        }

        return _byExternal.TryGetValue(new NatExternalKey(address, 0, NatProtocol.None), out mapping!);
    }

    /// <summary>Inside→outside lookup by the local side, port mapping first, then address-only.</summary>
    public bool TryFindByLocal(uint address, ushort port, NatProtocol protocol, uint vrf, out NatStaticMapping mapping)
    {
        if (_byLocal.TryGetValue(new NatLocalKey(address, port, protocol, vrf), out mapping!))
        {
            return true;
        }

        return _byLocal.TryGetValue(new NatLocalKey(address, 0, NatProtocol.None, vrf), out mapping!);
    }

    /// <summary>The mapping with this external key, if any.</summary>
    public NatStaticMapping? Find(NatExternalKey external) => _byExternal.GetValueOrDefault(external);

    /// <summary>
    /// Adds a mapping, or replaces the one with the same external key (its locals and options; existing
    /// sessions are kept). Locals may be empty: the external address then refuses connections.
    /// </summary>
    public NatStaticMapping Put(NatExternalKey external, NatMappingFlags flags, IReadOnlyList<NatLocal> locals,
        uint affinityTimeout = 0, uint twiceNatAddress = 0, string? tag = null, bool loadBalancing = false)
    {
        ArgumentNullException.ThrowIfNull(locals);
        if (external.Protocol == NatProtocol.None && external.Port != 0)
        {
            throw new ArgumentException($"NAT mapping {external}: an address-only mapping cannot have port {external.Port}");
        }

        if ((flags & NatMappingFlags.TwiceNat) != 0 && (flags & NatMappingFlags.SelfTwiceNat) != 0)
        {
            throw new ArgumentException($"NAT mapping {external}: twice-nat and self-twice-nat exclude each other");
        }

        if ((flags & NatMappingFlags.Identity) != 0)
        {
            // One identity mapping per address/port, one local per VRF it applies in (SPEC §3.2: VRF 0 and 1).
            if (locals.Count == 0)
            {
                throw new ArgumentException($"NAT identity mapping {external}: needs at least one VRF (a local equal to the external address and port)");
            }

            foreach (var l in locals)
            {
                if (l.Address != external.Address || l.Port != external.Port)
                {
                    throw new ArgumentException($"NAT identity mapping {external}: local {Ip4Address.Format(l.Address)}:{l.Port} differs from the external address and port");
                }
            }
        }

        var array = new NatLocal[locals.Count];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = locals[i];
            if (external.Protocol == NatProtocol.None && array[i].Port != 0)
            {
                throw new ArgumentException($"NAT mapping {external}: address-only mapping with local port {array[i].Port}");
            }
        }

        var old = _byExternal.GetValueOrDefault(external);
        var mapping = new NatStaticMapping(old?.Id ?? _nextId++, external, flags, affinityTimeout, twiceNatAddress, tag)
        {
            IsLoadBalancing = (flags & NatMappingFlags.Identity) == 0 && (loadBalancing || array.Length > 1),
        };
        mapping.SetLocals(array);

        // Check local-index conflicts before changing anything, so a failed put leaves the table as it was.
        var indexLocals = (flags & NatMappingFlags.Out2InOnly) == 0;
        if (indexLocals)
        {
            foreach (var l in array)
            {
                if (_byLocal.TryGetValue(LocalKey(external, l), out var other) && !ReferenceEquals(other, old))
                {
                    throw new ArgumentException($"NAT mapping {external}: local {Ip4Address.Format(l.Address)}:{l.Port} vrf {l.Vrf} is already mapped by {other.External}");
                }
            }
        }

        if (old != null)
        {
            Unindex(old);
        }

        _byExternal[external] = mapping;
        if (indexLocals)
        {
            foreach (var l in array)
            {
                _byLocal[LocalKey(external, l)] = mapping;
            }
        }

        return mapping;
    }

    /// <summary>Removes a mapping; false when there is none.</summary>
    public bool Remove(NatExternalKey external)
    {
        if (!_byExternal.Remove(external, out var m))
        {
            return false;
        }

        Unindex(m);
        return true;
    }

    /// <summary>Adds (or re-weights) one local of an existing mapping, leaving the others and all sessions alone.</summary>
    public void PutLocal(NatExternalKey external, NatLocal local)
    {
        var m = Find(external) ?? throw new KeyNotFoundException($"NAT mapping {external} does not exist");
        var locals = new List<NatLocal>(m.Locals.Length + 1);
        var replaced = false;
        foreach (var l in m.Locals)
        {
            if (l.Address == local.Address && l.Port == local.Port && l.Vrf == local.Vrf)
            {
                locals.Add(local);
                replaced = true;
            }
            else
            {
                locals.Add(l);
            }
        }

        if (!replaced)
        {
            locals.Add(local);
        }

        Put(external, m.Flags, locals, m.AffinityTimeout, m.TwiceNatAddress, m.Tag, loadBalancing: true);
    }

    /// <summary>Removes one local of a mapping; false when the mapping or the local does not exist.</summary>
    public bool RemoveLocal(NatExternalKey external, uint address, ushort port, uint vrf)
    {
        var m = Find(external);
        if (m == null || !m.TryFindLocal(address, port, vrf, out _))
        {
            return false;
        }

        var locals = new List<NatLocal>(m.Locals.Length);
        foreach (var l in m.Locals)
        {
            if (l.Address != address || l.Port != port || l.Vrf != vrf)
            {
                locals.Add(l);
            }
        }

        Put(external, m.Flags, locals, m.AffinityTimeout, m.TwiceNatAddress, m.Tag, loadBalancing: m.IsLoadBalancing);
        return true;
    }

    private void Unindex(NatStaticMapping m)
    {
        if ((m.Flags & NatMappingFlags.Out2InOnly) != 0)
        {
            return;
        }

        foreach (var l in m.Locals)
        {
            var key = LocalKey(m.External, l);
            if (_byLocal.TryGetValue(key, out var cur) && ReferenceEquals(cur, m))
            {
                _byLocal.Remove(key);
            }
        }
    }

    private static NatLocalKey LocalKey(NatExternalKey external, NatLocal l) => new(l.Address, l.Port, external.Protocol, l.Vrf);
}
