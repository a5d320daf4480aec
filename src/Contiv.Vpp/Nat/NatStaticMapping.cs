using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Nat;

/// <summary>Options of a static mapping (VPP's static mapping flags).</summary>
[Flags]
internal enum NatMappingFlags : byte
{
    /// <summary>Plain bidirectional 1:1 (or port) mapping.</summary>
    None = 0,
    /// <summary>Only outside→inside packets to the external address create sessions (DNAT only).</summary>
    Out2InOnly = 1,
    /// <summary>Always rewrite the client's source to a twice-NAT pool address.</summary>
    TwiceNat = 2,
    /// <summary>Rewrite the client's source only when the client is the chosen local (hairpin).</summary>
    SelfTwiceNat = 4,
    /// <summary>Identity: the address (and port) is exempt from NAT; packets pass untranslated.</summary>
    Identity = 8,
}

/// <summary>One backend of a mapping. <see cref="Probability"/> is a relative weight (VPP's "probability").</summary>
internal readonly record struct NatLocal(uint Address, ushort Port, uint Vrf, int Probability)
{
    /// <inheritdoc />
    public override string ToString() => $"{Ip4Address.Format(Address)}:{Port} vrf {Vrf} probability {Probability}";
}

/// <summary>Hash key of a mapping's external side. Address-only mappings use port 0 and <see cref="NatProtocol.None"/>.</summary>
public readonly record struct NatExternalKey(uint Address, ushort Port, NatProtocol Protocol)
{
    /// <inheritdoc />
    public override string ToString()
        => Protocol == NatProtocol.None ? Ip4Address.Format(Address) : $"{NatProtocolNames.Format(Protocol)} {Ip4Address.Format(Address)}:{Port}";
}

/// <summary>Hash key of a mapping's local side (what inside packets carry as their source).</summary>
internal readonly record struct NatLocalKey(uint Address, ushort Port, NatProtocol Protocol, uint Vrf);

/// <summary>
/// A static mapping: external address[:port] of one protocol → one or many locals. Owned by
/// <see cref="NatStaticMappingTable"/>; its locals change only through the table (control path,
/// at the data plane's barrier), which rebuilds this mapping's pick array and nothing else.
/// </summary>
internal sealed class NatStaticMapping
{
    private readonly Dictionary<(uint Address, ushort Port, uint Vrf), int> _localIndex = [];
    private NatLocal[] _locals = [];
    private long[] _cumulative = [];

    internal NatStaticMapping(int id, NatExternalKey external, NatMappingFlags flags, uint affinityTimeout, uint twiceNatAddress, string? tag)
    {
        Id = id;
        External = external;
        Flags = flags;
        AffinityTimeout = affinityTimeout;
        TwiceNatAddress = twiceNatAddress;
        Tag = tag;
    }

    /// <summary>Unique for the table's lifetime (never reused), so affinity records cannot alias.</summary>
    public int Id { get; }

    /// <summary>External address, port and protocol.</summary>
    public NatExternalKey External { get; }

    /// <summary>Options.</summary>
    public NatMappingFlags Flags { get; }

    /// <summary>ClientIP affinity timeout in seconds, 0 = none.</summary>
    public uint AffinityTimeout { get; }

    /// <summary>Twice-NAT pool address to use (VPP's <c>exact</c>), 0 = any twice-NAT address.</summary>
    public uint TwiceNatAddress { get; }

    /// <summary>Free text the control plane attached (service name).</summary>
    public string? Tag { get; }

    /// <summary>True for a load-balancing mapping (VPP formats those with one line per local).</summary>
    public bool IsLoadBalancing { get; internal set; }

    /// <summary>The locals, in the order added.</summary>
    public ReadOnlySpan<NatLocal> Locals => _locals;

    /// <summary>Sum of the weights.</summary>
    public long TotalWeight => _cumulative.Length == 0 ? 0 : _cumulative[^1];

    /// <summary>True when the mapping still has a local at (address, port, vrf).</summary>
    public bool TryFindLocal(uint address, ushort port, uint vrf, out NatLocal local)
    {
        if (_localIndex.TryGetValue((address, port, vrf), out var i))
        {
            local = _locals[i];
            return true;
        }

        local = default;
        return false;
    }

    /// <summary>
    /// Picks a local by weight: one uniform draw and a binary search over the cumulative weights
    /// (log2 of the locals, ≤ 9 steps at 300 backends; independent of how many mappings exist).
    /// All-zero weights (SPEC: a single local has probability 0) pick uniformly.
    /// </summary>
    public int Pick(Random random)
    {
        var n = _locals.Length;
        if (n == 1)
        {
            return 0;
        }

        var total = TotalWeight;
        if (total == 0)
        {
            return random.Next(n);
        }

        var x = random.NextInt64(total);
        int lo = 0, hi = n - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (_cumulative[mid] > x)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>Replaces the locals (control path; O(locals of this mapping)).</summary>
    internal void SetLocals(NatLocal[] locals)
    {
        var index = new Dictionary<(uint, ushort, uint), int>(locals.Length);
        var cumulative = new long[locals.Length];
        long sum = 0;
        for (var i = 0; i < locals.Length; i++)
        {
            var l = locals[i];
            if (l.Probability < 0)
            {
                throw new ArgumentException($"NAT mapping {External}: local {l} has a negative probability");
            }

            if (!index.TryAdd((l.Address, l.Port, l.Vrf), i))
            {
                throw new ArgumentException($"NAT mapping {External}: local {Ip4Address.Format(l.Address)}:{l.Port} vrf {l.Vrf} is listed twice");
            }

            sum += l.Probability;
            cumulative[i] = sum;
        }

        _locals = locals;
        _cumulative = cumulative;
        _localIndex.Clear();
        foreach (var kv in index)
        {
            _localIndex[kv.Key] = kv.Value;
        }
    }
}
