using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

/// <summary>
/// Fixed-capacity session store: a preallocated slot array, two hash indexes (in2out key, out2in key → slot)
/// sized for the capacity up front so adding never grows them, and the free list and per-timeout-class LRU
/// lists of <see cref="SessionLists"/>. Every operation is O(1); nothing allocates after construction. Not
/// thread-safe (see docs/nat44.md, "Threads").
/// </summary>
internal sealed class NatSessionTable
{
    private readonly NatSession[] _slots;
    private readonly Dictionary<NatFlowKey, int> _byIn2Out;
    private readonly Dictionary<NatFlowKey, int> _byOut2In;
    private readonly SessionLists _lists;

    /// <summary>Creates an empty table of <paramref name="capacity"/> sessions.</summary>
    public NatSessionTable(int capacity)
    {
        if (capacity is < 1 or > (1 << 26))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "NAT session capacity must be 1..67108864");
        }

        _slots = new NatSession[capacity];
        _byIn2Out = new Dictionary<NatFlowKey, int>(capacity);
        _byOut2In = new Dictionary<NatFlowKey, int>(capacity);
        _lists = new SessionLists(capacity);
    }

    /// <summary>Maximum number of sessions.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Live sessions.</summary>
    public int Count { get; private set; }

    /// <summary>Live sessions in a timeout class.</summary>
    public int CountOf(SessionTimeoutClass c) => _lists.CountOf(c);

    /// <summary>The slot (live or free) at <paramref name="index"/>.</summary>
    public ref NatSession this[int index] => ref _slots[index];

    /// <summary>Oldest session of a class (next to expire), or -1.</summary>
    public int Oldest(SessionTimeoutClass c) => _lists.Oldest(c);

    /// <summary>Finds the session whose in2out key is <paramref name="key"/>.</summary>
    public bool TryFindIn2Out(in NatFlowKey key, out int index) => _byIn2Out.TryGetValue(key, out index);

    /// <summary>Finds the session whose out2in key is <paramref name="key"/>.</summary>
    public bool TryFindOut2In(in NatFlowKey key, out int index) => _byOut2In.TryGetValue(key, out index);

    /// <summary>
    /// Creates a session, newest in its class. Returns -1 when the table is full, or -2 when either key
    /// already belongs to another session (the caller's port choice collided).
    /// </summary>
    public int Add(in NatFlowKey in2Out, in NatFlowKey out2In, SessionTimeoutClass c, double now)
    {
        if (_lists.Full)
        {
            return -1;
        }

        var free = _lists.PeekFree;
        if (!_byIn2Out.TryAdd(in2Out, free))
        {
            return -2;
        }

        if (!_byOut2In.TryAdd(out2In, free))
        {
            _byIn2Out.Remove(in2Out);
            return -2;
        }

        var i = _lists.Take(c);
        ref var s = ref _slots[i];
        s = default;
        s.In2OutKey = in2Out;
        s.Out2InKey = out2In;
        s.Flags = NatSessionFlags.InUse;
        s.PoolIndex = -1;
        s.LastHeard = now;
        s.TimeoutClass = c;
        Count++;
        return i;
    }

    /// <summary>Marks a session used at <paramref name="now"/> in class <paramref name="c"/>: it becomes the newest of that class.</summary>
    public void Touch(int index, SessionTimeoutClass c, double now)
    {
        ref var s = ref _slots[index];
        s.LastHeard = now;
        s.TimeoutClass = c;
        _lists.MoveToNewest(index, c);
    }

    /// <summary>Removes a live session (its keys and LRU links) and frees the slot.</summary>
    public void Remove(int index)
    {
        ref var s = ref _slots[index];
        if (!s.InUse)
        {
            throw new InvalidOperationException($"NAT session slot {index} is not in use");
        }

        _byIn2Out.Remove(s.In2OutKey);
        _byOut2In.Remove(s.Out2InKey);
        _lists.Release(index);
        s.Flags = NatSessionFlags.None;
        Count--;
    }
}
