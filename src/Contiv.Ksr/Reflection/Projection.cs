using Google.Protobuf;
using k8s;
using k8s.Models;

namespace Contiv.Ksr.Reflection;

/// <summary>
/// The desired etcd content of one reflector, computed from the Kubernetes objects it has seen:
/// etcd key → record. Not thread-safe; the owning <see cref="Reflector"/> serializes access.
/// </summary>
internal abstract class Projection
{
    /// <summary>Every key that currently has a desired record.</summary>
    public abstract IEnumerable<string> Keys { get; }

    /// <summary>Number of desired records.</summary>
    public abstract int Count { get; }

    /// <summary>The desired record under <paramref name="key"/>, or null when the key should not exist.</summary>
    /// <param name="key">The etcd key.</param>
    public abstract IMessage? Desired(string key);

    /// <summary>Replaces everything with a complete listing; adds every key whose record changed to <paramref name="changed"/>.</summary>
    /// <param name="items">Every object of the resource.</param>
    /// <param name="changed">Receives the changed keys.</param>
    /// <param name="onError">Called for each object that cannot be converted (it is left out).</param>
    public abstract void Replace(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, ISet<string> changed, Action<IKubernetesObject<V1ObjectMeta>, Exception> onError);

    /// <summary>Applies one watch event; adds every key whose record changed to <paramref name="changed"/>.</summary>
    /// <param name="type">Added, Modified or Deleted.</param>
    /// <param name="item">The object.</param>
    /// <param name="changed">Receives the changed keys.</param>
    public abstract void Apply(WatchEventType type, IKubernetesObject<V1ObjectMeta> item, ISet<string> changed);
}

/// <summary>
/// One Kubernetes object → at most one record under a key derived from the object (namespaces,
/// pods, services, endpoints, policies, nodes, SFC pods).
/// </summary>
/// <typeparam name="T">The Kubernetes object type.</typeparam>
internal sealed class KeyedProjection<T> : Projection
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<T, string?> _keyOf;
    private readonly Func<T, IMessage?> _convert;
    private Dictionary<string, IMessage> _desired = new(StringComparer.Ordinal);

    /// <summary>Creates the projection.</summary>
    /// <param name="keyOf">The object's etcd key; null = the object is never reflected (e.g. skipped names).</param>
    /// <param name="convert">The object's record; null = not reflected in its current state (e.g. an SFC pod that lost its label). May throw <see cref="Conversion.ConversionException"/>.</param>
    public KeyedProjection(Func<T, string?> keyOf, Func<T, IMessage?> convert)
    {
        _keyOf = keyOf;
        _convert = convert;
    }

    /// <inheritdoc />
    public override IEnumerable<string> Keys => _desired.Keys;

    /// <inheritdoc />
    public override int Count => _desired.Count;

    /// <inheritdoc />
    public override IMessage? Desired(string key) => _desired.GetValueOrDefault(key);

    /// <inheritdoc />
    public override void Replace(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, ISet<string> changed, Action<IKubernetesObject<V1ObjectMeta>, Exception> onError)
    {
        var next = new Dictionary<string, IMessage>(items.Count, StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item is not T obj)
            {
                continue;
            }

            try
            {
                if (_keyOf(obj) is { } key && _convert(obj) is { } record)
                {
                    next[key] = record;
                }
            }
            catch (Exception e) when (e is Conversion.ConversionException or ArgumentException)
            {
                onError(item, e);
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

    /// <inheritdoc />
    public override void Apply(WatchEventType type, IKubernetesObject<V1ObjectMeta> item, ISet<string> changed)
    {
        if (item is not T obj || _keyOf(obj) is not { } key)
        {
            return;
        }

        var record = type == WatchEventType.Deleted ? null : _convert(obj);
        if (record is null)
        {
            if (_desired.Remove(key))
            {
                changed.Add(key);
            }

            return;
        }

        if (!_desired.TryGetValue(key, out var old) || !old.Equals(record))
        {
            _desired[key] = record;
            changed.Add(key);
        }
    }
}
