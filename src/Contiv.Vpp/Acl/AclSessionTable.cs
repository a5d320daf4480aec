using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

/// <summary>
/// Fixed-capacity store of reflective sessions: a preallocated slot array, one hash index (key → slot) sized
/// up front so adding never grows it, and the free list and per-timeout-class LRU lists of
/// <see cref="SessionLists"/> (a class's head is the session to expire next, so expiry never scans).
/// Every operation is O(1) and allocates nothing after construction. Not thread-safe: callers hold the
/// plugin's lock.
/// </summary>
internal sealed class AclSessionTable
{
    private readonly AclSession[] _slots;
    private readonly Dictionary<AclSessionKey, int> _index;
    private readonly SessionLists _lists;

    /// <summary>Creates an empty table of <paramref name="capacity"/> sessions.</summary>
    public AclSessionTable(int capacity)
    {
        if (capacity is < 1 or > (1 << 24))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "ACL session capacity must be 1..16777216");
        }

        _slots = new AclSession[capacity];
        _index = new Dictionary<AclSessionKey, int>(capacity);
        _lists = new SessionLists(capacity);
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
    public int Oldest(SessionTimeoutClass c) => _lists.Oldest(c);

    /// <summary>Finds a session.</summary>
    public bool TryFind(in AclSessionKey key, out int index) => _index.TryGetValue(key, out index);

    /// <summary>Creates a session, newest of its class; -1 when the table is full.</summary>
    public int Add(in AclSessionKey key, SessionTimeoutClass c, double now, bool fromLo)
    {
        if (_lists.Full)
        {
            return -1;
        }

        if (!_index.TryAdd(key, _lists.PeekFree))
        {
            return _index[key];
        }

        var i = _lists.Take(c);
        _slots[i] = new AclSession { Key = key, Class = c, LastHeard = now, Packets = 1, CreatedFromLo = fromLo, InUse = true };
        Count++;
        Added++;
        return i;
    }

    /// <summary>Marks a session heard at <paramref name="now"/> in class <paramref name="c"/> (it becomes the newest of its list).</summary>
    public void Touch(int i, SessionTimeoutClass c, double now)
    {
        ref var s = ref _slots[i];
        s.Class = c;
        s.LastHeard = now;
        s.Packets++;
        _lists.MoveToNewest(i, c);
    }

    /// <summary>Removes a live session.</summary>
    public void Remove(int i)
    {
        ref var s = ref _slots[i];
        if (!s.InUse)
        {
            return;
        }

        _lists.Release(i);
        _index.Remove(s.Key);
        s.InUse = false;
        Count--;
        Removed++;
    }
}
