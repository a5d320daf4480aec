using System.Runtime.CompilerServices;

namespace Contiv.Vpp.Ip4;

/// <summary>Who contributed a FIB entry; lower value wins (VPP's FIB source priority).</summary>
public enum FibSource : byte
{
    /// <summary>Interface addresses (receive, attached, network/broadcast drops).</summary>
    Interface = 0,
    /// <summary>Configured routes (API and CLI).</summary>
    Api = 1,
    /// <summary>Per-table defaults (0.0.0.0/0 drop and special prefixes).</summary>
    Default = 2,
}

/// <summary>One prefix in a table with the contributions of every source; <see cref="Forwarding"/> is the winner's.</summary>
public sealed class FibEntry
{
    internal FibEntry(uint network, int length)
    {
        Network = network;
        Length = length;
    }

    /// <summary>Network address.</summary>
    public uint Network { get; }

    /// <summary>Prefix length.</summary>
    public int Length { get; }

    /// <summary>Contributions by source (index = (int)FibSource).</summary>
    internal Dpo?[] Sources { get; } = new Dpo?[3];

    /// <summary>The active forwarding decision.</summary>
    public Dpo Forwarding { get; internal set; } = Dpo.DropMiss;

    /// <summary>The winning source.</summary>
    public FibSource ActiveSource { get; internal set; }

    /// <summary>Packets forwarded by this entry (approximate; updated per lookup on all threads).</summary>
    public long Packets;

    internal bool Recompute()
    {
        for (var i = 0; i < Sources.Length; i++)
        {
            if (Sources[i] is { } d)
            {
                Forwarding = d;
                ActiveSource = (FibSource)i;
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// One IPv4 FIB (a VRF): longest-prefix match over one hash table per prefix length, probing only the
/// lengths that are in use, longest first. Mutated only by the control thread while the workers are
/// held at the barrier, so lookups need no locks.
/// </summary>
public sealed class FibTable
{
    private readonly Dictionary<uint, FibEntry>?[] _byLength = new Dictionary<uint, FibEntry>?[33];
    private int[] _lengths = [];

    internal FibTable(int index, uint tableId, string name)
    {
        Index = index;
        TableId = tableId;
        Name = name;
        AddSpecial(0, 0, Dpo.DropMiss);
        var special = new Dpo { Kind = DpoKind.Drop, DropReason = DropReason.Special };
        AddSpecial(0, 32, special);
        AddSpecial(0xe000_0000, 4, special);
        AddSpecial(0xf000_0000, 4, special);
        AddSpecial(0xffff_ffff, 32, special);
    }

    /// <summary>FIB index (position in the data plane's table list).</summary>
    public int Index { get; }

    /// <summary>VRF / table id.</summary>
    public uint TableId { get; }

    /// <summary>Label.</summary>
    public string Name { get; set; }

    /// <summary>Number of prefixes.</summary>
    public int Count
    {
        get
        {
            var n = 0;
            foreach (var d in _byLength)
            {
                n += d?.Count ?? 0;
            }

            return n;
        }
    }

    /// <summary>Longest-prefix match; never null (0.0.0.0/0 always exists).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FibEntry Lookup(uint address)
    {
        var lengths = _lengths;
        for (var i = 0; i < lengths.Length; i++)
        {
            var len = lengths[i];
            if (_byLength[len]!.TryGetValue(address & Ip4Address.Mask(len), out var e))
            {
                return e;
            }
        }

        throw new InvalidOperationException($"FIB {TableId} has no default entry");
    }

    /// <summary>Exact-match lookup.</summary>
    public FibEntry? Get(uint network, int length)
        => _byLength[length] is { } d && d.TryGetValue(network & Ip4Address.Mask(length), out var e) ? e : null;

    /// <summary>Sets (or clears with null) one source's contribution for a prefix.</summary>
    public void Set(uint network, int length, FibSource source, Dpo? dpo)
    {
        network &= Ip4Address.Mask(length);
        var d = _byLength[length];
        if (d is null)
        {
            if (dpo is null)
            {
                return;
            }

            d = _byLength[length] = [];
        }

        if (!d.TryGetValue(network, out var e))
        {
            if (dpo is null)
            {
                return;
            }

            e = new FibEntry(network, length);
            d[network] = e;
        }

        e.Sources[(int)source] = dpo;
        if (!e.Recompute())
        {
            d.Remove(network);
            if (d.Count == 0)
            {
                _byLength[length] = null;
            }
        }

        RebuildLengths();
    }

    /// <summary>Every entry sorted by address then length (for show ip fib).</summary>
    public List<FibEntry> Entries()
    {
        var all = new List<FibEntry>();
        foreach (var d in _byLength)
        {
            if (d is not null)
            {
                all.AddRange(d.Values);
            }
        }

        all.Sort((a, b) => a.Network != b.Network ? a.Network.CompareTo(b.Network) : a.Length.CompareTo(b.Length));
        return all;
    }

    private void AddSpecial(uint network, int length, Dpo dpo) => Set(network, length, FibSource.Default, dpo);

    private void RebuildLengths()
    {
        var count = 0;
        for (var len = 32; len >= 0; len--)
        {
            if (_byLength[len] is not null)
            {
                count++;
            }
        }

        if (count == _lengths.Length)
        {
            var same = true;
            var j = 0;
            for (var len = 32; len >= 0 && same; len--)
            {
                if (_byLength[len] is not null)
                {
                    same = _lengths[j++] == len;
                }
            }

            if (same)
            {
                return;
            }
        }

        var lengths = new int[count];
        var k = 0;
        for (var len = 32; len >= 0; len--)
        {
            if (_byLength[len] is not null)
            {
                lengths[k++] = len;
            }
        }

        _lengths = lengths;
    }
}
