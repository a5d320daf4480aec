using System.Collections.Concurrent;
using Contiv.Crd.Kube;
using Contiv.Ksr.Conversion;
using Contiv.Ksr.Reflection;
using Google.Protobuf;
using k8s;
using k8s.Models;

namespace Contiv.Crd.Reflection;

/// <summary>
/// One custom resource → any number of records (CustomConfiguration items). Two objects writing the
/// same key: the one listed or changed last wins until it lets go of the key.
/// </summary>
/// <param name="convert">The object's key-values; throws <see cref="ConversionException"/> for a bad object (its previous records stay).</param>
internal sealed class MultiKeyProjection(Func<CustomResource, IEnumerable<(string Key, IMessage Record)>> convert) : Projection
{
    private readonly Dictionary<string, Dictionary<string, IMessage>> _byObject = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _everDesired = new(StringComparer.Ordinal);
    private Dictionary<string, IMessage> _desired = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public override IEnumerable<string> Keys => _desired.Keys;

    /// <inheritdoc />
    public override int Count => _desired.Count;

    /// <summary>
    /// Keys this process has wanted at some time: the only ones a resync may sweep (the prefix
    /// <c>/vnf-agent/</c> is shared with every other writer). Thread-safe.
    /// </summary>
    /// <param name="key">An etcd key.</param>
    public bool Owns(string key) => _everDesired.ContainsKey(key);

    /// <inheritdoc />
    public override IMessage? Desired(string key) => _desired.GetValueOrDefault(key);

    /// <inheritdoc />
    public override void Replace(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, ISet<string> changed, Action<IKubernetesObject<V1ObjectMeta>, Exception> onError)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item is not CustomResource r)
            {
                continue;
            }

            seen.Add(r.Id);
            try
            {
                _byObject[r.Id] = Convert(r);
            }
            catch (Exception e) when (e is ConversionException or ArgumentException)
            {
                onError(item, e);
            }
        }

        foreach (var id in _byObject.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _byObject.Remove(id);
        }

        Recompute(changed);
    }

    /// <inheritdoc />
    public override void Apply(WatchEventType type, IKubernetesObject<V1ObjectMeta> item, ISet<string> changed)
    {
        if (item is not CustomResource r)
        {
            return;
        }

        if (type == WatchEventType.Deleted)
        {
            _byObject.Remove(r.Id);
        }
        else
        {
            _byObject[r.Id] = Convert(r);
        }

        Recompute(changed);
    }

    private Dictionary<string, IMessage> Convert(CustomResource r)
    {
        var records = new Dictionary<string, IMessage>(StringComparer.Ordinal);
        foreach (var (key, record) in convert(r))
        {
            records[key] = record;
        }

        return records;
    }

    private void Recompute(ISet<string> changed)
    {
        var next = new Dictionary<string, IMessage>(StringComparer.Ordinal);
        foreach (var records in _byObject.Values)
        {
            foreach (var (key, record) in records)
            {
                next[key] = record;
                _everDesired.TryAdd(key, true);
            }
        }

        foreach (var (key, record) in next)
        {
            if (!_desired.TryGetValue(key, out var old) || !old.Equals(record))
            {
                changed.Add(key);
            }
        }

        foreach (var key in _desired.Keys)
        {
            if (!next.ContainsKey(key))
            {
                changed.Add(key);
            }
        }

        _desired = next;
    }
}
