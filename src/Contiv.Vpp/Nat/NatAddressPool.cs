using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Nat;

/// <summary>
/// NAT pool addresses: the dynamic SNAT pool and the twice-NAT pool (VPP's <c>nat44 add address …
/// [twice-nat]</c>), each address with its own ports per protocol. Ports are handed out from a
/// shuffled free stack (O(1) allocate and release, unpredictable like the kernel's) with a bitmap
/// that makes a double release harmless. Memory: ≈ 400 KB per address, taken when it is added.
/// </summary>
internal sealed class NatAddressPool
{
    /// <summary>Tenant VRF meaning "any VRF".</summary>
    public const uint AnyVrf = uint.MaxValue;

    /// <summary>First port handed out; lower ports stay for static mappings and well-known services.</summary>
    public const int FirstPort = 1024;

    private const int PortCount = 65536 - FirstPort;

    private readonly List<Entry> _entries = [];
    private readonly Random _random;

    /// <summary>Creates an empty pool; <paramref name="random"/> shuffles the ports.</summary>
    public NatAddressPool(Random random) => _random = random;

    /// <summary>Live addresses (control path).</summary>
    public IEnumerable<(uint Address, uint TenantVrf, bool TwiceNat)> Addresses
    {
        get
        {
            foreach (var e in _entries)
            {
                if (e.Active)
                {
                    yield return (e.Address, e.TenantVrf, e.TwiceNat);
                }
            }
        }
    }

    /// <summary>Adds an address; an address already in the same pool is an error.</summary>
    public void Add(uint address, uint tenantVrf = AnyVrf, bool twiceNat = false)
    {
        foreach (var e in _entries)
        {
            if (e.Active && e.Address == address && e.TwiceNat == twiceNat)
            {
                throw new ArgumentException($"NAT pool address {Ip4Address.Format(address)}{(twiceNat ? " (twice-nat)" : "")} already exists");
            }
        }

        _entries.Add(new Entry(address, tenantVrf, twiceNat, _random));
    }

    /// <summary>
    /// Removes an address. Sessions holding its ports keep working until they expire; their release
    /// is then ignored (the entry stays, inactive, so indexes held by sessions stay valid).
    /// </summary>
    public bool Remove(uint address, bool twiceNat = false)
    {
        foreach (var e in _entries)
        {
            if (e.Active && e.Address == address && e.TwiceNat == twiceNat)
            {
                e.Active = false;
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="address"/> is an active pool address of either kind.</summary>
    public bool Contains(uint address)
    {
        foreach (var e in _entries)
        {
            if (e.Active && e.Address == address)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Takes a free port of <paramref name="protocol"/> on an address of the requested pool whose tenant
    /// VRF is <paramref name="vrf"/> or any (<paramref name="exact"/> ≠ 0 restricts it to that address).
    /// The walk is over the pool's addresses (a handful), never over ports or sessions.
    /// </summary>
    public bool TryAllocate(bool twiceNat, uint vrf, uint exact, NatProtocol protocol, out int index, out uint address, out ushort port)
    {
        var p = ProtocolSlot(protocol);
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (!e.Active || e.TwiceNat != twiceNat || (exact != 0 && e.Address != exact)
                || (e.TenantVrf != AnyVrf && e.TenantVrf != vrf))
            {
                continue;
            }

            if (e.TryTake(p, out port))
            {
                index = i;
                address = e.Address;
                return true;
            }
        }

        index = -1;
        address = 0;
        port = 0;
        return false;
    }

    /// <summary>Gives a port back.</summary>
    public void Release(int index, NatProtocol protocol, ushort port)
    {
        if ((uint)index < (uint)_entries.Count)
        {
            _entries[index].Give(ProtocolSlot(protocol), port);
        }
    }

    /// <summary>Free ports of an address and protocol (tests, summary).</summary>
    public int FreePorts(uint address, NatProtocol protocol, bool twiceNat = false)
    {
        foreach (var e in _entries)
        {
            if (e.Active && e.Address == address && e.TwiceNat == twiceNat)
            {
                return e.Free[ProtocolSlot(protocol)];
            }
        }

        return 0;
    }

    private static int ProtocolSlot(NatProtocol p) => p switch
    {
        NatProtocol.Tcp => 0,
        NatProtocol.Udp => 1,
        _ => 2,
    };

    private sealed class Entry
    {
        public readonly uint Address;
        public readonly uint TenantVrf;
        public readonly bool TwiceNat;
        public readonly int[] Free = new int[3];
        private readonly ushort[][] _stack = new ushort[3][];
        private readonly ulong[][] _used = new ulong[3][];
        public bool Active = true;

        public Entry(uint address, uint tenantVrf, bool twiceNat, Random random)
        {
            Address = address;
            TenantVrf = tenantVrf;
            TwiceNat = twiceNat;
            for (var p = 0; p < 3; p++)
            {
                var s = new ushort[PortCount];
                for (var i = 0; i < PortCount; i++)
                {
                    s[i] = (ushort)(FirstPort + i);
                }

                random.Shuffle(s);
                _stack[p] = s;
                _used[p] = new ulong[65536 / 64];
                Free[p] = PortCount;
            }
        }

        public bool TryTake(int p, out ushort port)
        {
            if (Free[p] == 0)
            {
                port = 0;
                return false;
            }

            port = _stack[p][--Free[p]];
            _used[p][port >> 6] |= 1UL << (port & 63);
            return true;
        }

        public void Give(int p, ushort port)
        {
            ref var word = ref _used[p][port >> 6];
            var bit = 1UL << (port & 63);
            if (port < FirstPort || (word & bit) == 0)
            {
                return;
            }

            word &= ~bit;
            _stack[p][Free[p]++] = port;
        }
    }
}
