using Contiv.Linux;

namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// The NAT44 renderer of SPEC §3.2 with per-object keys: turns the service processor's view into the desired
/// NAT44 objects of this node and, for every incremental change, into the minimal set of puts and deletes.
/// A changed Endpoints object re-renders that one service and reports only those of its mappings whose
/// locals really changed; sessions of connections to backends that stay are the data plane's to keep.
/// Not thread-safe: the event loop owns it.
/// </summary>
internal sealed class Nat44Renderer
{
    private readonly ServiceNodeContext _node;
    private readonly Dictionary<ServiceId, ContivService> _services = [];
    private readonly Dictionary<ServiceId, Dictionary<string, NatStaticMapping>> _byService = [];

    // Every service's claim on a mapping key; the first by ServiceId is installed.
    private readonly Dictionary<string, SortedList<ServiceId, NatStaticMapping>> _claims = new(StringComparer.Ordinal);
    private readonly Dictionary<string, INatObject> _nodeObjects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, INatObject> _desired = new(StringComparer.Ordinal);
    private ValueArray<Ip4> _nodePortIps;

    // Values before the update in progress of every key it touched (null = absent).
    private readonly Dictionary<string, INatObject?> _before = new(StringComparer.Ordinal);

    /// <summary>Creates a renderer with nothing desired yet (call <see cref="Resync"/> first).</summary>
    public Nat44Renderer(ServiceNodeContext node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
    }

    /// <summary>Every desired NAT44 object by key.</summary>
    public IReadOnlyDictionary<string, INatObject> Desired => _desired;

    /// <summary>Mapping keys claimed by more than one service.</summary>
    public IReadOnlyList<Nat44MappingConflict> Conflicts
        => [.. _claims.Where(c => c.Value.Count > 1).OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new Nat44MappingConflict(c.Key, c.Value.Keys[0], [.. c.Value.Keys.Skip(1)]))];

    /// <summary>The mappings installed for <paramref name="id"/>, in SPEC order (conflict losers excluded).</summary>
    public IReadOnlyList<NatStaticMapping> MappingsOf(ServiceId id)
        => _byService.TryGetValue(id, out var mine)
            ? [.. mine.Values.Where(m => _desired.TryGetValue(m.Key, out var d) && ReferenceEquals(d, m))]
            : [];

    /// <summary>Forgets everything and renders the whole desired state (what a full resync transaction carries).</summary>
    public IReadOnlyDictionary<string, INatObject> Resync(ServiceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _services.Clear();
        _byService.Clear();
        _claims.Clear();
        _nodeObjects.Clear();
        _desired.Clear();
        _nodePortIps = state.NodePortIps;
        SetNodeObjects(state.Interfaces);
        foreach (var svc in state.Services)
        {
            _services[svc.Id] = svc;
            ReplaceMappings(svc.Id, ServiceMappings.Render(svc, _nodePortIps, _node));
        }

        _before.Clear();
        return new Dictionary<string, INatObject>(_desired, StringComparer.Ordinal);
    }

    /// <summary>Applies one change of the service view and returns what changed in the desired objects.</summary>
    public Nat44Delta Update(ServiceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.IsEmpty)
        {
            return Nat44Delta.None;
        }

        _before.Clear();
        foreach (var id in change.Removed)
        {
            _services.Remove(id);
            ReplaceMappings(id, []);
        }

        foreach (var svc in change.Updated)
        {
            _services[svc.Id] = svc;
            ReplaceMappings(svc.Id, ServiceMappings.Render(svc, _nodePortIps, _node));
        }

        if (change.NodePortIps is { } ips && ips != _nodePortIps)
        {
            // Node ports listen on every node's IPs: re-render each service with a node port.
            _nodePortIps = ips;
            foreach (var svc in _services.Values.Where(s => s.HasNodePort).ToList())
            {
                ReplaceMappings(svc.Id, ServiceMappings.Render(svc, _nodePortIps, _node));
            }
        }

        if (change.Interfaces is { } roles)
        {
            SetNodeObjects(roles);
        }

        var puts = new List<INatObject>();
        var deletes = new List<string>();
        foreach (var (key, before) in _before.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            _desired.TryGetValue(key, out var now);
            if (now is null)
            {
                if (before is not null)
                {
                    deletes.Add(key);
                }
            }
            else if (!now.Equals(before))
            {
                puts.Add(now);
            }
        }

        _before.Clear();
        return puts.Count == 0 && deletes.Count == 0 ? Nat44Delta.None : new Nat44Delta(puts, deletes);
    }

    private void SetNodeObjects(NatInterfaceRoles roles)
    {
        var next = NodeNat44Objects.Render(_node, roles).ToDictionary(o => o.Key, StringComparer.Ordinal);
        foreach (var key in _nodeObjects.Keys.Except(next.Keys).ToList())
        {
            Touch(key);
            _nodeObjects.Remove(key);
            _desired.Remove(key);
        }

        foreach (var (key, obj) in next)
        {
            // Only what changed: one pod more must not re-submit the features of every other interface.
            if (_nodeObjects.TryGetValue(key, out var old) && old.Equals(obj))
            {
                continue;
            }

            Touch(key);
            _nodeObjects[key] = obj;
            _desired[key] = obj;
        }
    }

    private void ReplaceMappings(ServiceId id, IReadOnlyList<NatStaticMapping> mappings)
    {
        var old = _byService.GetValueOrDefault(id);
        var next = new Dictionary<string, NatStaticMapping>(mappings.Count, StringComparer.Ordinal);
        foreach (var m in mappings)
        {
            next[m.Key] = m;
        }

        if (old is not null)
        {
            foreach (var key in old.Keys)
            {
                if (!next.ContainsKey(key))
                {
                    Touch(key);
                    var claims = _claims[key];
                    claims.Remove(id);
                    if (claims.Count == 0)
                    {
                        _claims.Remove(key);
                    }

                    Refresh(key);
                }
            }
        }

        foreach (var m in mappings)
        {
            var key = m.Key;
            if (old is not null && old.TryGetValue(key, out var was) && was.Equals(m))
            {
                // Unchanged: keep the installed instance; nothing is reported for it.
                next[key] = was;
                continue;
            }

            Touch(key);
            if (!_claims.TryGetValue(key, out var claims))
            {
                claims = [];
                _claims[key] = claims;
            }

            claims[id] = m;
            Refresh(key);
        }

        if (next.Count == 0)
        {
            _byService.Remove(id);
        }
        else
        {
            _byService[id] = next;
        }
    }

    private void Refresh(string key)
    {
        if (_claims.TryGetValue(key, out var claims))
        {
            _desired[key] = claims.Values[0];
        }
        else
        {
            _desired.Remove(key);
        }
    }

    private void Touch(string key) => _before.TryAdd(key, _desired.GetValueOrDefault(key));
}
