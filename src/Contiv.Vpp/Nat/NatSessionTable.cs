namespace Contiv.Vpp.Nat;

/// <summary>
/// Fixed-capacity session store: a preallocated slot array with a free list, two hash indexes
/// (in2out key, out2in key → slot) sized for the capacity up front so adding never grows them,
/// and one LRU list per timeout class threaded through the slots. Every operation is O(1); nothing
/// allocates after construction. Not thread-safe (see docs/nat44.md, "Threads").
/// </summary>
internal sealed class NatSessionTable
{
    private const int ClassCount = 5;

    private readonly NatSession[] _slots;
    private readonly Dictionary<NatFlowKey, int> _byIn2Out;
    private readonly Dictionary<NatFlowKey, int> _byOut2In;
    private readonly int[] _head = new int[ClassCount];
    private readonly int[] _tail = new int[ClassCount];
    private readonly int[] _classCount = new int[ClassCount];
    private int _free;

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
        for (var i = 0; i < capacity; i++)
        {
            _slots[i].Next = i + 1 < capacity ? i + 1 : -1;
            _slots[i].Prev = -1;
        }

        _free = 0;
        Array.Fill(_head, -1);
        Array.Fill(_tail, -1);
    }

    /// <summary>Maximum number of sessions.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Live sessions.</summary>
    public int Count { get; private set; }

    /// <summary>Live sessions in a timeout class.</summary>
    public int CountOf(NatTimeoutClass c) => _classCount[(int)c];

    /// <summary>The slot (live or free) at <paramref name="index"/>.</summary>
    public ref NatSession this[int index] => ref _slots[index];

    /// <summary>Oldest session of a class (next to expire), or -1.</summary>
    public int Oldest(NatTimeoutClass c) => _head[(int)c];

    /// <summary>Finds the session whose in2out key is <paramref name="key"/>.</summary>
    public bool TryFindIn2Out(in NatFlowKey key, out int index) => _byIn2Out.TryGetValue(key, out index);

    /// <summary>Finds the session whose out2in key is <paramref name="key"/>.</summary>
    public bool TryFindOut2In(in NatFlowKey key, out int index) => _byOut2In.TryGetValue(key, out index);

    /// <summary>
    /// Creates a session, newest in its class. Returns -1 when the table is full, or -2 when either key
    /// already belongs to another session (the caller's port choice collided).
    /// </summary>
    public int Add(in NatFlowKey in2Out, in NatFlowKey out2In, NatTimeoutClass c, double now)
    {
        if (_free < 0)
        {
            return -1;
        }

        var i = _free;
        if (!_byIn2Out.TryAdd(in2Out, i))
        {
            return -2;
        }

        if (!_byOut2In.TryAdd(out2In, i))
        {
            _byIn2Out.Remove(in2Out);
            return -2;
        }

        ref var s = ref _slots[i];
        _free = s.Next;
        s = default;
        s.In2OutKey = in2Out;
        s.Out2InKey = out2In;
        s.Flags = NatSessionFlags.InUse;
        s.PoolIndex = -1;
        s.LastHeard = now;
        s.TimeoutClass = c;
        Append(i);
        Count++;
        return i;
    }

    /// <summary>Marks a session used at <paramref name="now"/> in class <paramref name="c"/>: it becomes the newest of that class.</summary>
    public void Touch(int index, NatTimeoutClass c, double now)
    {
        ref var s = ref _slots[index];
        s.LastHeard = now;
        if (_tail[(int)s.TimeoutClass] == index && s.TimeoutClass == c)
        {
            return;
        }

        Unlink(index);
        s.TimeoutClass = c;
        Append(index);
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
        Unlink(index);
        s.Flags = NatSessionFlags.None;
        s.Prev = -1;
        s.Next = _free;
        _free = index;
        Count--;
    }

    private void Append(int index)
    {
        ref var s = ref _slots[index];
        var c = (int)s.TimeoutClass;
        s.Next = -1;
        s.Prev = _tail[c];
        if (_tail[c] >= 0)
        {
            _slots[_tail[c]].Next = index;
        }
        else
        {
            _head[c] = index;
        }

        _tail[c] = index;
        _classCount[c]++;
    }

    private void Unlink(int index)
    {
        ref var s = ref _slots[index];
        var c = (int)s.TimeoutClass;
        if (s.Prev >= 0)
        {
            _slots[s.Prev].Next = s.Next;
        }
        else
        {
            _head[c] = s.Next;
        }

        if (s.Next >= 0)
        {
            _slots[s.Next].Prev = s.Prev;
        }
        else
        {
            _tail[c] = s.Prev;
        }

        s.Prev = -1;
        s.Next = -1;
        _classCount[c]--;
    }
}
