namespace Contiv.Vpp.Sessions;

/// <summary>
/// The slot bookkeeping of a fixed-capacity session table: a free list of slot numbers and one LRU list per
/// <see cref="SessionTimeoutClass"/>, threaded through arrays sized up front. A class's head is its least
/// recently heard session, so expiry never scans. The session records and their hash indexes stay with the
/// table that owns them (<see cref="Nat.NatSessionTable"/>, <see cref="Acl.AclSessionTable"/>). Every operation
/// is O(1) and allocates nothing; not thread-safe.
/// </summary>
internal sealed class SessionLists
{
    private const int ClassCount = 5;

    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly SessionTimeoutClass[] _class;
    private readonly bool[] _linked;
    private readonly int[] _head = new int[ClassCount];
    private readonly int[] _tail = new int[ClassCount];
    private readonly int[] _classCount = new int[ClassCount];
    private int _free;

    /// <summary>Creates lists over <paramref name="capacity"/> slots, all free.</summary>
    public SessionLists(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _prev = new int[capacity];
        _next = new int[capacity];
        _class = new SessionTimeoutClass[capacity];
        _linked = new bool[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _next[i] = i + 1 < capacity ? i + 1 : -1;
            _prev[i] = -1;
        }

        Array.Fill(_head, -1);
        Array.Fill(_tail, -1);
    }

    /// <summary>True when no slot is free.</summary>
    public bool Full => _free < 0;

    /// <summary>The next free slot (not taken yet), or -1 when full.</summary>
    public int PeekFree => _free;

    /// <summary>Live slots in a class.</summary>
    public int CountOf(SessionTimeoutClass c) => _classCount[(int)c];

    /// <summary>Least recently heard slot of a class (next to expire), or -1.</summary>
    public int Oldest(SessionTimeoutClass c) => _head[(int)c];

    /// <summary>Takes the free slot <see cref="PeekFree"/> names and makes it the newest of class <paramref name="c"/>.</summary>
    public int Take(SessionTimeoutClass c)
    {
        var i = _free;
        if (i < 0)
        {
            return -1;
        }

        _free = _next[i];
        _class[i] = c;
        Append(i);
        return i;
    }

    /// <summary>Makes slot <paramref name="i"/> the newest of class <paramref name="c"/>.</summary>
    public void MoveToNewest(int i, SessionTimeoutClass c)
    {
        if (_tail[(int)c] == i && _class[i] == c)
        {
            return;
        }

        Unlink(i);
        _class[i] = c;
        Append(i);
    }

    /// <summary>Unlinks a live slot from its class and returns it to the free list; false when it was not live.</summary>
    public bool Release(int i)
    {
        if (!_linked[i])
        {
            return false;
        }

        Unlink(i);
        _next[i] = _free;
        _free = i;
        return true;
    }

    private void Append(int i)
    {
        var c = (int)_class[i];
        _next[i] = -1;
        _prev[i] = _tail[c];
        if (_tail[c] >= 0)
        {
            _next[_tail[c]] = i;
        }
        else
        {
            _head[c] = i;
        }

        _tail[c] = i;
        _classCount[c]++;
        _linked[i] = true;
    }

    private void Unlink(int i)
    {
        var c = (int)_class[i];
        var prev = _prev[i];
        var next = _next[i];
        if (prev >= 0)
        {
            _next[prev] = next;
        }
        else
        {
            _head[c] = next;
        }

        if (next >= 0)
        {
            _prev[next] = prev;
        }
        else
        {
            _tail[c] = prev;
        }

        _prev[i] = _next[i] = -1;
        _classCount[c]--;
        _linked[i] = false;
    }
}
