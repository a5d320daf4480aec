using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

/// <summary>
/// The ACL plugin of one data plane (FD.io VPP's acl-plugin, our own code): ACLs by index, the ACL
/// lists applied to each interface's input and output, their compiled lookup contexts, and the
/// reflective sessions. Graph nodes call <see cref="Check"/> per packet (it takes <see cref="Lock"/> around
/// session work itself) and <see cref="Expire"/> once per vector with <see cref="Lock"/> held; every other
/// member is control path and runs at the barrier.
/// </summary>
internal sealed partial class AclPlugin
{
    /// <summary>Default session table capacity.</summary>
    public const int DefaultMaxSessions = 1 << 17;

    private readonly List<AccessList?> _acls = [];
    private readonly Dictionary<int, List<int>> _inputs = [];
    private readonly Dictionary<int, List<int>> _outputs = [];
    private Dictionary<string, AclLookupContext> _contexts = [];
    private AclLookupContext?[] _inputContext = new AclLookupContext?[16];
    private AclLookupContext?[] _outputContext = new AclLookupContext?[16];
    private long[] _sessionsAdded = new long[16];
    private long[] _sessionsDeleted = new long[16];
    private int _liveSessions; // Sessions.Count, readable without Lock (0 = no session probe needed)

    /// <summary>Creates the plugin with room for <paramref name="maxSessions"/> sessions.</summary>
    public AclPlugin(int maxSessions = DefaultMaxSessions, AclTimeouts? timeouts = null)
    {
        Sessions = new AclSessionTable(maxSessions);
        Timeouts = timeouts ?? new AclTimeouts();
    }

    /// <summary>Guards the session table (the nodes hold it per session probe or insertion, and for <see cref="Expire"/>).</summary>
    public Lock Lock { get; } = new();

    /// <summary>Reflective sessions.</summary>
    public AclSessionTable Sessions { get; }

    /// <summary>Session idle timeouts.</summary>
    public AclTimeouts Timeouts { get; set; }

    /// <summary>Sessions removed because they idled past their timeout.</summary>
    public long TimedOutSessions { get; private set; }

    /// <summary>True when the session table may hold a session (read without the lock: a hint for the nodes).</summary>
    public bool MayHaveSessions => Volatile.Read(ref _liveSessions) > 0;

    /// <summary>The ACL at <paramref name="index"/>, or null.</summary>
    public AccessList? Get(int index) => index >= 0 && index < _acls.Count ? _acls[index] : null;

    /// <summary>Every ACL, by index.</summary>
    public IEnumerable<AccessList> All
    {
        get
        {
            foreach (var a in _acls)
            {
                if (a is not null)
                {
                    yield return a;
                }
            }
        }
    }

    /// <summary>The ACL tagged <paramref name="tag"/> (the API's name), or null.</summary>
    public AccessList? FindByTag(string tag)
    {
        foreach (var a in _acls)
        {
            if (a is not null && a.Tag == tag)
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>
    /// Creates an ACL (at the lowest free index when <paramref name="index"/> is -1) or replaces the rules
    /// of ACL <paramref name="index"/>; interfaces it is applied to use the new rules at once. Returns the index.
    /// </summary>
    /// <exception cref="KeyNotFoundException">Replacing an index that holds no ACL beyond the end of the table.</exception>
    public int Put(int index, string tag, AclRule[] rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (index < 0)
        {
            index = _acls.IndexOf(null);
            if (index < 0)
            {
                index = _acls.Count;
                _acls.Add(null);
            }
        }
        else if (index > _acls.Count)
        {
            throw new KeyNotFoundException($"ACL index {index} does not exist (next free index is {_acls.Count})");
        }
        else if (index == _acls.Count)
        {
            _acls.Add(null);
        }

        _acls[index] = new AccessList(index, tag, rules);
        Recompile();
        return index;
    }

    /// <summary>Deletes ACL <paramref name="index"/> and detaches it from every interface; false when there is none.</summary>
    public bool Delete(int index)
    {
        if (Get(index) is null)
        {
            return false;
        }

        _acls[index] = null;
        foreach (var lists in (Dictionary<int, List<int>>[])[_inputs, _outputs])
        {
            foreach (var l in lists.Values)
            {
                l.Remove(index);
            }
        }

        PruneEmpty();
        Recompile();
        return true;
    }

    /// <summary>Interfaces (sw_if_index) ACL <paramref name="index"/> is applied to in one direction.</summary>
    public List<int> AppliedOn(int index, bool input)
    {
        var l = new List<int>();
        foreach (var (sw, acls) in input ? _inputs : _outputs)
        {
            if (acls.Contains(index))
            {
                l.Add(sw);
            }
        }

        l.Sort();
        return l;
    }

    /// <summary>The ACL list of one interface direction, in evaluation order (empty when none).</summary>
    public IReadOnlyList<int> Applied(int swIfIndex, bool input)
        => (input ? _inputs : _outputs).TryGetValue(swIfIndex, out var l) ? l : [];

    /// <summary>Interfaces with an ACL list in either direction.</summary>
    public SortedSet<int> InterfacesWithAcls()
    {
        var s = new SortedSet<int>(_inputs.Keys);
        s.UnionWith(_outputs.Keys);
        return s;
    }

    /// <summary>Appends ACL <paramref name="index"/> to an interface direction's list (no-op when it is there).</summary>
    /// <exception cref="KeyNotFoundException">No ACL has that index.</exception>
    public void Apply(int swIfIndex, bool input, int index)
    {
        if (Get(index) is null)
        {
            throw new KeyNotFoundException($"ACL index {index} does not exist");
        }

        var lists = input ? _inputs : _outputs;
        if (!lists.TryGetValue(swIfIndex, out var l))
        {
            l = [];
            lists[swIfIndex] = l;
        }

        if (!l.Contains(index))
        {
            l.Add(index);
            Recompile();
        }
    }

    /// <summary>Removes ACL <paramref name="index"/> from an interface direction's list; false when it was not there.</summary>
    public bool Unapply(int swIfIndex, bool input, int index)
    {
        var lists = input ? _inputs : _outputs;
        if (!lists.TryGetValue(swIfIndex, out var l) || !l.Remove(index))
        {
            return false;
        }

        PruneEmpty();
        Recompile();
        return true;
    }

    /// <summary>Forgets an interface that is being deleted: its ACL lists and its sessions (its sw_if_index may be reused).</summary>
    public void ForgetInterface(int swIfIndex)
    {
        var changed = _inputs.Remove(swIfIndex) | _outputs.Remove(swIfIndex);
        for (var i = 0; i < Sessions.Capacity; i++)
        {
            if (Sessions[i].InUse && Sessions[i].Key.SwIfIndex == swIfIndex)
            {
                RemoveSession(i);
            }
        }

        if (swIfIndex < _sessionsAdded.Length)
        {
            _sessionsAdded[swIfIndex] = _sessionsDeleted[swIfIndex] = 0;
        }

        if (changed)
        {
            Recompile();
        }
    }

    /// <summary>Removes every session; returns how many.</summary>
    public int ClearSessions()
    {
        var n = 0;
        for (var i = 0; i < Sessions.Capacity; i++)
        {
            if (Sessions[i].InUse)
            {
                RemoveSession(i);
                n++;
            }
        }

        return n;
    }

    /// <summary>
    /// Expires sessions idle past their timeout, oldest first: at most <paramref name="budget"/> of each
    /// class per call, so a node can call it once per vector without a latency spike.
    /// </summary>
    public int Expire(double now, int budget)
    {
        var removed = 0;
        for (var c = SessionTimeoutClass.TcpTransitory; c <= SessionTimeoutClass.TcpClosed; c++)
        {
            var timeout = Timeouts.Of(c);
            for (var n = 0; n < budget; n++)
            {
                var i = Sessions.Oldest(c);
                if (i < 0 || Sessions[i].LastHeard + timeout > now)
                {
                    break;
                }

                RemoveSession(i);
                TimedOutSessions++;
                removed++;
            }
        }

        return removed;
    }

    private void RemoveSession(int i)
    {
        var sw = Sessions[i].Key.SwIfIndex;
        if ((uint)sw < (uint)_sessionsDeleted.Length)
        {
            _sessionsDeleted[sw]++;
        }

        Sessions.Remove(i);
        Volatile.Write(ref _liveSessions, Sessions.Count);
    }

    private void PruneEmpty()
    {
        foreach (var lists in (Dictionary<int, List<int>>[])[_inputs, _outputs])
        {
            foreach (var sw in lists.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList())
            {
                lists.Remove(sw);
            }
        }
    }

    /// <summary>
    /// Rebuilds the lookup context of every interface direction (control path): directions with the same
    /// ACL list share one context, and a context whose ACLs did not change is kept as it is.
    /// </summary>
    private void Recompile()
    {
        var max = 16;
        foreach (var sw in InterfacesWithAcls())
        {
            max = Math.Max(max, sw + 1);
        }

        var contexts = new Dictionary<string, AclLookupContext>();
        var inputs = new AclLookupContext?[Math.Max(max, _inputContext.Length)];
        var outputs = new AclLookupContext?[inputs.Length];
        foreach (var (lists, target) in new[] { (_inputs, inputs), (_outputs, outputs) })
        {
            foreach (var (sw, list) in lists)
            {
                var key = string.Join(',', list);
                if (!contexts.TryGetValue(key, out var ctx))
                {
                    var acls = list.Select(i => _acls[i]!).ToArray();
                    ctx = _contexts.TryGetValue(key, out var old) && SameAcls(old, acls) ? old : new AclLookupContext(acls, NextContextId++);
                    contexts[key] = ctx;
                }

                target[sw] = ctx;
            }
        }

        if (_sessionsAdded.Length < inputs.Length)
        {
            Array.Resize(ref _sessionsAdded, inputs.Length);
            Array.Resize(ref _sessionsDeleted, inputs.Length);
        }

        _contexts = contexts;
        _inputContext = inputs;
        _outputContext = outputs;
    }

    private int NextContextId { get; set; }

    private static bool SameAcls(AclLookupContext ctx, AccessList[] acls)
    {
        if (ctx.Acls.Count != acls.Length)
        {
            return false;
        }

        for (var i = 0; i < acls.Length; i++)
        {
            if (!ReferenceEquals(ctx.Acls[i], acls[i]))
            {
                return false;
            }
        }

        return true;
    }
}
