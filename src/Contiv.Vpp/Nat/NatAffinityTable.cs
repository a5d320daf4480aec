namespace Contiv.Vpp.Nat;

/// <summary>
/// ClientIP session affinity: (client address, mapping) → the local chosen last time, until a
/// timeout that every new session of that client refreshes. Preallocated slots with a free stack and
/// a hash index sized up front; expired records are dropped lazily on lookup and by a bounded sweep
/// (a cursor over the slots) so the table never needs a full scan.
/// </summary>
internal sealed class NatAffinityTable
{
    private readonly Slot[] _slots;
    private readonly Dictionary<(uint Client, int Mapping), int> _index;
    private readonly int[] _free;
    private int _freeCount;
    private int _cursor;

    /// <summary>Creates a table for <paramref name="capacity"/> clients × mappings.</summary>
    public NatAffinityTable(int capacity)
    {
        _slots = new Slot[capacity];
        _index = new Dictionary<(uint, int), int>(capacity);
        _free = new int[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeCount = capacity;
    }

    /// <summary>Live records.</summary>
    public int Count => _index.Count;

    /// <summary>The local remembered for a client of a mapping, unless expired.</summary>
    public bool TryGet(uint client, int mapping, double now, out uint address, out ushort port, out uint vrf)
    {
        if (_index.TryGetValue((client, mapping), out var i))
        {
            ref var s = ref _slots[i];
            if (s.Expires > now)
            {
                address = s.Address;
                port = s.Port;
                vrf = s.Vrf;
                return true;
            }

            Free(i);
        }

        address = 0;
        port = 0;
        vrf = 0;
        return false;
    }

    /// <summary>Remembers (or refreshes) a client's local; false when the table is full (the pick is then not sticky).</summary>
    public bool Set(uint client, int mapping, uint address, ushort port, uint vrf, double expires)
    {
        if (!_index.TryGetValue((client, mapping), out var i))
        {
            if (_freeCount == 0)
            {
                return false;
            }

            i = _free[--_freeCount];
            _index.Add((client, mapping), i);
        }

        _slots[i] = new Slot { Client = client, Mapping = mapping, Address = address, Port = port, Vrf = vrf, Expires = expires, InUse = true };
        return true;
    }

    /// <summary>Forgets a client's record (its local is gone).</summary>
    public void Forget(uint client, int mapping)
    {
        if (_index.TryGetValue((client, mapping), out var i))
        {
            Free(i);
        }
    }

    /// <summary>Examines at most <paramref name="budget"/> slots from where the last sweep stopped; returns records dropped.</summary>
    public int Sweep(double now, int budget)
    {
        // Called once per vector by each NAT node: without records (no ClientIP Service) the walk over
        // cold slots would be pure cache misses on every vector.
        if (_freeCount == _slots.Length)
        {
            return 0;
        }

        var dropped = 0;
        for (var n = 0; n < budget && n < _slots.Length; n++)
        {
            _cursor = _cursor + 1 < _slots.Length ? _cursor + 1 : 0;
            ref var s = ref _slots[_cursor];
            if (s.InUse && s.Expires <= now)
            {
                Free(_cursor);
                dropped++;
            }
        }

        return dropped;
    }

    private void Free(int i)
    {
        ref var s = ref _slots[i];
        _index.Remove((s.Client, s.Mapping));
        s.InUse = false;
        _free[_freeCount++] = i;
    }

    private struct Slot
    {
        public uint Client;
        public int Mapping;
        public uint Address;
        public ushort Port;
        public uint Vrf;
        public double Expires;
        public bool InUse;
    }
}
