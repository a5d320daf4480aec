using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Patching;
using Contiv.ApiServer.Registry.Strategies;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Selectors;
using Contiv.ApiServer.Storage;

namespace Contiv.ApiServer.Registry;

/// <summary>
/// The object store and the per-kind rules of the lab API server: create, get, list, update, patch,
/// delete and watch of any served resource, with one cluster-wide resourceVersion counter, an event
/// history for resuming watches (410 Expired below it), generated names, uids, timestamps, defaults,
/// Service IP and node port allocation, graceful pod deletion, finalizers and CRD registration.
/// All state changes happen under one lock, so events leave in resourceVersion order.
/// Objects handed out are frozen shared trees: callers must clone before changing them.
/// </summary>
public sealed partial class ResourceRegistry
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly StoreEvent?[] _history;
    private readonly List<WatchSubscription> _watchers = [];
    private readonly ServiceAllocator _allocator;
    private readonly Dictionary<string, IResourceStrategy> _strategies;
    private readonly CrdStrategy _crds;
    private readonly PriorityClassStrategy _priorityClasses = new();
    private readonly Random _random;
    private readonly TimeProvider _time;
    private int _historyStart;
    private int _historyCount;
    private long _resourceVersion;
    private long _compactedResourceVersion;

    /// <summary>Creates an empty registry.</summary>
    public ResourceRegistry(ResourceCatalog catalog, LabApiServerOptions options, TimeProvider? time = null)
    {
        Catalog = catalog;
        Options = options;
        _time = time ?? TimeProvider.System;
        _random = options.RandomSeed is int seed ? new Random(seed) : new Random();
        _history = new StoreEvent?[Math.Max(16, options.EventHistorySize)];
        _allocator = new ServiceAllocator(options.ServiceCidr, options.NodePortRange, _random);
        _crds = new CrdStrategy(catalog, RemoveAllOf);
        _strategies = new Dictionary<string, IResourceStrategy>(StringComparer.Ordinal)
        {
            ["namespaces"] = new NamespaceStrategy(),
            ["pods"] = new PodPriorityAdmission(new PodStrategy(), FindPriorityClass),
            ["services"] = new ServiceStrategy(_allocator),
            ["secrets"] = new SecretStrategy(),
            [CrdStrategy.StoreKey] = _crds,
            ["deployments.apps"] = new DeploymentStrategy(),
            ["replicasets.apps"] = new ReplicaSetStrategy(),
            ["daemonsets.apps"] = new DaemonSetStrategy(),
            ["jobs.batch"] = new JobStrategy(),
            ["statefulsets.apps"] = new StatefulSetStrategy(),
            ["roles.rbac.authorization.k8s.io"] = new RbacStrategy(),
            ["clusterroles.rbac.authorization.k8s.io"] = new RbacStrategy(),
            ["rolebindings.rbac.authorization.k8s.io"] = new RbacStrategy(),
            ["clusterrolebindings.rbac.authorization.k8s.io"] = new RbacStrategy(),
            ["priorityclasses.scheduling.k8s.io"] = _priorityClasses,
            ["poddisruptionbudgets.policy"] = new PodDisruptionBudgetStrategy(),
        };
    }

    /// <summary>Raised under the registry lock after every committed change; handlers must be quick and must not call back.</summary>
    internal event Action<StoreEvent>? Committed;

    /// <summary>Raised (outside the lock, from the deleting call) when a pod got a graceful deletion deadline.</summary>
    internal event Action<string, string, string, DateTimeOffset>? PodTerminating;

    /// <summary>The served resources.</summary>
    public ResourceCatalog Catalog { get; }

    /// <summary>Server options.</summary>
    public LabApiServerOptions Options { get; }

    /// <summary>The current cluster-wide resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Watches starting below this resourceVersion get 410 Expired.</summary>
    public long CompactedResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _compactedResourceVersion;
            }
        }
    }

    /// <summary>The first address of the service CIDR (the <c>default/kubernetes</c> Service).</summary>
    public string FirstServiceAddress => _allocator.FirstAddress;

    /// <summary>Drops the whole event history: every watch from an older resourceVersion then gets 410 Expired.</summary>
    public void CompactHistory()
    {
        lock (_gate)
        {
            Array.Clear(_history);
            _historyStart = 0;
            _historyCount = 0;
            _compactedResourceVersion = _resourceVersion;
        }
    }

    // ---------------------------------------------------------------- reads

    /// <summary>Gets one object or throws 404.</summary>
    public JsonObject Get(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(type, ns, name) ?? throw ApiException.NotFound(type.QualifiedName, name, type.Group);
        }
    }

    /// <summary>Gets one object or null.</summary>
    public JsonObject? TryGet(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(type, ns, name);
        }
    }

    /// <summary>Lists objects (one namespace or all) that match both selectors.</summary>
    public ListResult List(ResourceType type, string? ns, LabelSelector? labels = null, FieldSelector? fields = null, int limit = 0, string? continueToken = null)
    {
        lock (_gate)
        {
            var rv = _resourceVersion;
            string? after = null;
            if (!string.IsNullOrEmpty(continueToken))
            {
                (rv, after) = DecodeContinue(continueToken);
                if (rv < _compactedResourceVersion)
                {
                    throw ApiException.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
                }
            }

            var result = new List<JsonObject>();
            if (_objects.TryGetValue(type.StoreKey, out var map))
            {
                IEnumerable<KeyValuePair<string, JsonObject>> entries = map.OrderBy(kv => kv.Key, StringComparer.Ordinal);
                if (after is not null)
                {
                    entries = entries.Where(kv => string.CompareOrdinal(kv.Key, after) > 0);
                }

                string? lastKey = null;
                foreach (var (key, obj) in entries)
                {
                    if (ns is not null && Json.Str(obj, "metadata", "namespace") != ns)
                    {
                        continue;
                    }

                    if (!Matches(obj, type, labels, fields))
                    {
                        continue;
                    }

                    if (limit > 0 && result.Count == limit)
                    {
                        return new ListResult(result, rv, EncodeContinue(rv, lastKey!));
                    }

                    result.Add(obj);
                    lastKey = key;
                }
            }

            return new ListResult(result, rv, null);
        }
    }

    internal static bool Matches(JsonObject obj, ResourceType type, LabelSelector? labels, FieldSelector? fields)
        => (labels is null || labels.IsEmpty || labels.Matches(Json.At(obj, "metadata", "labels") as JsonObject))
           && (fields is null || fields.IsEmpty || fields.Matches(obj, type));

    private static string EncodeContinue(long rv, string lastKey)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{rv.ToString(CultureInfo.InvariantCulture)}|{lastKey}"));

    private static (long, string) DecodeContinue(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return (long.Parse(text[..bar], CultureInfo.InvariantCulture), text[(bar + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw ApiException.BadRequest($"invalid continue token \"{token}\": {e.Message}");
        }
    }

    // ---------------------------------------------------------------- watch

    /// <summary>
    /// Registers a watch. <paramref name="resourceVersion"/> null, empty or "0" starts with synthetic ADDED
    /// events for the current objects; "N" replays every retained event after N, or throws 410 Expired when
    /// N is older than the retained history. Selectors are applied by the reader.
    /// </summary>
    public WatchSubscription Watch(ResourceType type, string? ns, string? resourceVersion)
    {
        lock (_gate)
        {
            var initial = new List<StoreEvent>();
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                if (_objects.TryGetValue(type.StoreKey, out var map))
                {
                    foreach (var (_, obj) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        if (ns is null || Json.Str(obj, "metadata", "namespace") == ns)
                        {
                            initial.Add(new StoreEvent(WatchEventType.Added, ObjectRv(obj), type.StoreKey, obj, null));
                        }
                    }
                }
            }
            else
            {
                var from = ParseResourceVersion(resourceVersion);
                if (from < _compactedResourceVersion)
                {
                    throw ApiException.Expired($"too old resource version: {from} ({_compactedResourceVersion})");
                }

                for (var i = 0; i < _historyCount; i++)
                {
                    var e = _history[(_historyStart + i) % _history.Length]!;
                    if (e.ResourceVersion > from && e.StoreKey == type.StoreKey && (ns is null || Json.Str(e.Object, "metadata", "namespace") == ns))
                    {
                        initial.Add(e);
                    }
                }
            }

            var sub = new WatchSubscription(type.StoreKey, ns, initial, _resourceVersion, Unsubscribe);
            _watchers.Add(sub);
            return sub;
        }
    }

    /// <summary>Queues a bookmark at the current resourceVersion behind every event already sent to the watcher.</summary>
    public void RequestBookmark(WatchSubscription subscription)
    {
        lock (_gate)
        {
            subscription.Post(new StoreEvent(WatchEventType.Bookmark, _resourceVersion, subscription.StoreKey, new JsonObject(), null));
        }
    }

    private void Unsubscribe(WatchSubscription sub)
    {
        lock (_gate)
        {
            _watchers.Remove(sub);
        }
    }

    internal static long ParseResourceVersion(string text)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw ApiException.BadRequest($"invalid resource version \"{text}\": must be a non-negative integer");

    internal static long ObjectRv(JsonObject obj)
        => long.TryParse(Json.Str(obj, "metadata", "resourceVersion"), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    // ---------------------------------------------------------------- storage primitives (lock held)

    private static string Key(string? ns, string name) => ns is null ? name : $"{ns}/{name}";

    private JsonObject? Find(ResourceType type, string? ns, string name)
        => _objects.TryGetValue(type.StoreKey, out var map) && map.TryGetValue(Key(type.Namespaced ? ns : null, name), out var obj) ? obj : null;

    private IEnumerable<JsonObject> AllOf(string storeKey)
        => _objects.TryGetValue(storeKey, out var map) ? map.Values : [];

    /// <summary>Stores <paramref name="obj"/> (which the registry now owns) with a new resourceVersion and publishes the event.</summary>
    private JsonObject Commit(string storeKey, WatchEventType type, JsonObject obj, JsonObject? previous, bool namespaced)
    {
        var rv = ++_resourceVersion;
        Json.Obj(obj, "metadata")["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        Json.Freeze(obj);
        Json.MarkCommitted(obj);
        var ns = namespaced ? Json.Str(obj, "metadata", "namespace") : null;
        var key = Key(ns, Json.Str(obj, "metadata", "name")!);
        if (!_objects.TryGetValue(storeKey, out var map))
        {
            map = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            _objects[storeKey] = map;
        }

        if (type == WatchEventType.Deleted)
        {
            map.Remove(key);
        }
        else
        {
            map[key] = obj;
        }

        var e = new StoreEvent(type, rv, storeKey, obj, previous);
        if (_historyCount == _history.Length)
        {
            _compactedResourceVersion = _history[_historyStart]!.ResourceVersion;
            _historyStart = (_historyStart + 1) % _history.Length;
            _historyCount--;
        }

        _history[(_historyStart + _historyCount) % _history.Length] = e;
        _historyCount++;
        foreach (var w in _watchers)
        {
            if (w.StoreKey == storeKey && (w.Namespace is null || w.Namespace == ns))
            {
                w.Post(e);
            }
        }

        Committed?.Invoke(e);
        return obj;
    }

    /// <summary>
    /// Loads an object as-is (resourceVersion included) without an event; used when restoring persisted
    /// state before the server starts serving. The counter moves up to the highest loaded version.
    /// </summary>
    internal void Restore(ResourceType type, JsonObject obj, long resourceVersion)
    {
        lock (_gate)
        {
            Json.Freeze(obj);
            Json.MarkCommitted(obj);
            var ns = type.Namespaced ? Json.Str(obj, "metadata", "namespace") : null;
            if (!_objects.TryGetValue(type.StoreKey, out var map))
            {
                map = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                _objects[type.StoreKey] = map;
            }

            map[Key(ns, Json.Str(obj, "metadata", "name")!)] = obj;
            _resourceVersion = Math.Max(_resourceVersion, resourceVersion);
            _compactedResourceVersion = _resourceVersion;
            if (type.StoreKey == "services")
            {
                foreach (var ip in Json.At(obj, "spec", "clusterIPs") as JsonArray ?? [])
                {
                    if (Json.AsString(ip) is { } s && s != "None")
                    {
                        _allocator.MarkUsed(s);
                    }
                }

                foreach (var port in Json.At(obj, "spec", "ports") as JsonArray ?? [])
                {
                    if (Json.Long(Json.At(port, "nodePort")) is long np && np > 0)
                    {
                        _ = _allocator.ReservePort((int)np, Json.Str(port, "protocol") ?? "TCP");
                    }
                }
            }

            if (type.StoreKey == CrdStrategy.StoreKey)
            {
                _crds.Register(obj);
            }
        }
    }

    /// <summary>Every stored object with its storage key, at one point in time.</summary>
    internal List<(string StoreKey, JsonObject Obj)> SnapshotAll()
    {
        lock (_gate)
        {
            return _objects.SelectMany(kv => kv.Value.Values.Select(o => (kv.Key, o))).ToList();
        }
    }

    /// <summary>Moves the counter forward (restoring persisted state whose counter is ahead of its objects).</summary>
    internal void RestoreResourceVersion(long resourceVersion)
    {
        lock (_gate)
        {
            _resourceVersion = Math.Max(_resourceVersion, resourceVersion);
            _compactedResourceVersion = _resourceVersion;
        }
    }

    private string Now() => Json.Timestamp(_time.GetUtcNow());

    private string GenerateName(string prefix)
    {
        if (prefix.Length > 58)
        {
            prefix = prefix[..58];
        }

        var sb = new StringBuilder(prefix, prefix.Length + 5);
        for (var i = 0; i < 5; i++)
        {
            sb.Append(GenerateNameAlphabet[_random.Next(GenerateNameAlphabet.Length)]);
        }

        return sb.ToString();
    }

    private ResourceType NamespaceType => Catalog.Find(string.Empty, "v1", "namespaces")!;

    /// <summary>Builds the event used when a watcher must see an object it stopped matching.</summary>
    internal static StoreEvent AsDeleted(StoreEvent e) => e with { Type = WatchEventType.Deleted };

    /// <summary>The rules of <paramref name="type"/>'s kind.</summary>
    private IResourceStrategy StrategyFor(ResourceType type)
        => _strategies.TryGetValue(type.StoreKey, out var strategy) ? strategy
            : type.IsCustom ? CustomResourceStrategy.Instance
            : DefaultStrategy.Instance;

    // A deleted CRD takes its objects with it.
    private void RemoveAllOf(string storeKey)
    {
        var type = Catalog.ByStoreKey(storeKey).FirstOrDefault();
        if (type is null)
        {
            return;
        }

        foreach (var obj in AllOf(storeKey).ToList())
        {
            RemoveLocked(type, (JsonObject)obj.DeepClone(), obj);
        }
    }
}
