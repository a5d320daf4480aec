namespace Contiv.Vpp.Acl;

/// <summary>
/// Fixed-capacity store of reflective sessions: a preallocated slot array with a free list, one hash
/// index (key → slot) sized up front so adding never grows it, and one LRU list per timeout class
/// threaded through the slots (a class's head is the session to expire next, so expiry never scans).
/// Every operation is O(1) and allocates nothing after construction. Not thread-safe: the ACL nodes
/// hold the plugin's lock per vector.
/// </summary>
internal sealed class AclSessionTable
{
    private const int ClassCount = 5;

    private readonly AclSession[] _slots;
    private readonly Dictionary<AclSessionKey, int> _index;
    private readonly int[] _head = new int[ClassCount];
    private readonly int[] _tail = new int[ClassCount];
    private int _free;

    /// <summary>Creates an empty table of <paramref name="capacity"/> sessions.</summary>
    public AclSessionTable(int capacity)
    {
        if (capacity is < 1 or > (1 << 24))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "ACL session capacity must be 1..16777216");
        }

        _slots = new AclSession[capacity];
        _index = new Dictionary<AclSessionKey, int>(capacity);
        for (var i = 0; i < capacity; i++)
        {
            _slots[i].Next = i + 1 < capacity ? i + 1 : -1;
            _slots[i].Prev = -1;
        }

        Array.Fill(_head, -1);
        Array.Fill(_tail, -1);
    }

    /// <summary>Maximum number of sessions.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Live sessions.</summary>
    public int Count { get; private set; }

    /// <summary>Sessions ever added.</summary>
    public long Added { get; private set; }

    /// <summary>Sessions ever removed.</summary>
    public long Removed { get; private set; }

    /// <summary>The slot at <paramref name="index"/>.</summary>
    public ref AclSession this[int index] => ref _slots[index];

    /// <summary>Oldest session of a class, or -1.</summary>
    public int Oldest(AclTimeoutClass c) => _head[(int)c];

    /// <summary>Finds a session.</summary>
    public bool TryFind(in AclSessionKey key, out int index) => _index.TryGetValue(key, out index);

    /// <summary>Creates a session, newest of its class; -1 when the table is full.</summary>
    public int Add(in AclSessionKey key, AclTimeoutClass c, double now, bool fromLo)
    {
        if (_free < 0)
        {
            return -1;
        }

        var i = _free;
        if (!_index.TryAdd(key, i))
        {
            return _index[key];
        }

        _free = _slots[i].Next;
        ref var s = ref _slots[i];
        s = new AclSession { Key = key, Class = c, LastHeard = now, Packets = 1, CreatedFromLo = fromLo, InUse = true, Prev = -1, Next = -1 };
        Append(i);
        Count++;
        Added++;
        return i;
    }

    /// <summary>Marks a session heard at <paramref name="now"/> in class <paramref name="c"/> (moves it to its list's tail).</summary>
    public void Touch(int i, AclTimeoutClass c, double now)
    {
        Unlink(i);
        ref var s = ref _slots[i];
        s.Class = c;
        s.LastHeard = now;
        s.Packets++;
        Append(i);
    }

    /// <summary>Removes a live session.</summary>
    public void Remove(int i)
    {
        ref var s = ref _slots[i];
        if (!s.InUse)
        {
            return;
        }

        Unlink(i);
        _index.Remove(s.Key);
        s.InUse = false;
        s.Next = _free;
        s.Prev = -1;
        _free = i;
        Count--;
        Removed++;
    }

    private void Append(int i)
    {
        ref var s = ref _slots[i];
        var c = (int)s.Class;
        s.Prev = _tail[c];
        s.Next = -1;
        if (_tail[c] >= 0)
        {
            _slots[_tail[c]].Next = i;
        }
        else
        {
            _head[c] = i;
        }

        _tail[c] = i;
    }

    private void Unlink(int i)
    {
        ref var s = ref _slots[i];
        var c = (int)s.Class;
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

        s.Prev = s.Next = -1;
    }
}
