using Contiv.Ksr.Conversion;
using EtcdKeys = Contiv.Model.Keys;
using Google.Protobuf;
using k8s;
using k8s.Models;

namespace Contiv.Ksr.Reflection;

/// <summary>
/// Many EndpointSlices → one <c>endpoints.Endpoints</c> record per service, under the same key the
/// Endpoints reflector uses (<c>k8s/endpoints/{service}/namespace/{ns}</c>).
/// </summary>
internal sealed class EndpointSliceProjection : Projection
{
    // slice (namespace/name) → (service key, slice); service key → its slices.
    private readonly Dictionary<string, (string ServiceKey, V1EndpointSlice Slice)> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Namespace, string Name, HashSet<string> Slices)> _services = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public override IEnumerable<string> Keys => _services.Keys;

    /// <inheritdoc />
    public override int Count => _services.Count;

    /// <inheritdoc />
    public override IMessage? Desired(string key)
    {
        if (!_services.TryGetValue(key, out var service))
        {
            return null;
        }

        return EndpointsConversion.FromSlices(service.Namespace, service.Name, service.Slices.Select(s => _slices[s].Slice));
    }

    /// <inheritdoc />
    public override void Replace(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, ISet<string> changed, Action<IKubernetesObject<V1ObjectMeta>, Exception> onError)
    {
        var before = _services.Keys.ToDictionary(k => k, Desired, StringComparer.Ordinal);
        _slices.Clear();
        _services.Clear();
        foreach (var item in items)
        {
            if (item is V1EndpointSlice slice)
            {
                Add(slice);
            }
        }

        foreach (var key in _services.Keys)
        {
            if (!before.TryGetValue(key, out var old) || !Equals(old, Desired(key)))
            {
                changed.Add(key);
            }
        }

        foreach (var key in before.Keys)
        {
            if (!_services.ContainsKey(key))
            {
                changed.Add(key);
            }
        }
    }

    /// <inheritdoc />
    public override void Apply(WatchEventType type, IKubernetesObject<V1ObjectMeta> item, ISet<string> changed)
    {
        if (item is not V1EndpointSlice slice || SliceId(slice) is not { } id)
        {
            return;
        }

        if (_slices.TryGetValue(id, out var old))
        {
            RemoveSlice(id, old.ServiceKey);
            changed.Add(old.ServiceKey);
        }

        if (type != WatchEventType.Deleted && Add(slice) is { } key)
        {
            changed.Add(key);
        }
    }

    private string? Add(V1EndpointSlice slice)
    {
        if (SliceId(slice) is not { } id || EndpointsConversion.ServiceOf(slice) is not { } service
            || EndpointsConversion.SkippedNames.Contains(service.Name))
        {
            return null;
        }

        var key = EtcdKeys.Endpoints(service.Name, service.Namespace);
        if (!_services.TryGetValue(key, out var entry))
        {
            entry = (service.Namespace, service.Name, new HashSet<string>(StringComparer.Ordinal));
            _services.Add(key, entry);
        }

        entry.Slices.Add(id);
        _slices[id] = (key, slice);
        return key;
    }

    private void RemoveSlice(string id, string serviceKey)
    {
        _slices.Remove(id);
        if (_services.TryGetValue(serviceKey, out var entry))
        {
            entry.Slices.Remove(id);
            if (entry.Slices.Count == 0)
            {
                _services.Remove(serviceKey);
            }
        }
    }

    private static string? SliceId(V1EndpointSlice slice)
        => slice.Metadata?.Name is { Length: > 0 } name && slice.Metadata.NamespaceProperty is { Length: > 0 } ns ? ns + "/" + name : null;
}
