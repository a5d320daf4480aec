using System.Collections.Concurrent;
using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// List + watch of one resource across all namespaces (client-go's shared informer, reduced): keeps the latest
/// version of every object in a cache and calls the handlers for every change; re-lists after a 410, an error
/// or the server closing the watch.
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
internal sealed class Informer<T>(
    string resource,
    Func<CancellationToken, Task<(string ResourceVersion, IList<T> Items)>> list,
    Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _cache = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called for every added or changed object (old version or null, new version).</summary>
    public event Action<T?, T>? Changed;

    /// <summary>Called for every deleted object (last known version).</summary>
    public event Action<T>? Deleted;

    /// <summary>Completes once the first list was cached.</summary>
    public Task Synced => _synced.Task;

    /// <summary>The cached objects.</summary>
    public ICollection<T> Items => _cache.Values;

    /// <summary>The cached object with this key, or null.</summary>
    public T? Get(string key) => _cache.GetValueOrDefault(key);

    /// <summary>Key of an object: <c>namespace/name</c> (or <c>name</c> for cluster-scoped ones).</summary>
    public static string KeyOf(T obj) => string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) ? obj.Metadata.Name : $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";

    /// <summary>Lists and watches until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (rv, items) = await list(ct).ConfigureAwait(false);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in items)
                {
                    var key = KeyOf(item);
                    seen.Add(key);
                    Apply(WatchEventType.Modified, item);
                }

                foreach (var (key, gone) in _cache.ToArray())
                {
                    if (!seen.Contains(key) && _cache.TryRemove(key, out _))
                    {
                        Deleted?.Invoke(gone);
                    }
                }

                _synced.TrySetResult();
                await foreach (var (type, obj) in watch(rv, ct).ConfigureAwait(false))
                {
                    if (type == WatchEventType.Error)
                    {
                        break;
                    }

                    if (type != WatchEventType.Bookmark)
                    {
                        Apply(type, obj);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException or System.Text.Json.JsonException or KubernetesException)
            {
                LabLog.Warn("controller-manager", $"{resource} watch: {e.Message}; re-listing");
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }
    }

    private void Apply(WatchEventType type, T obj)
    {
        var key = KeyOf(obj);
        if (type == WatchEventType.Deleted)
        {
            _cache.TryRemove(key, out _);
            Deleted?.Invoke(obj);
            return;
        }

        var old = _cache.GetValueOrDefault(key);
        if (old is not null && old.Metadata.ResourceVersion == obj.Metadata.ResourceVersion)
        {
            return;
        }

        _cache[key] = obj;
        Changed?.Invoke(old, obj);
    }
}
