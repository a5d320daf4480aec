namespace Contiv.Agent.Scheduler;

/// <summary>Shared cache for one retrieval round (e.g. one data plane dump for all data plane descriptors).</summary>
internal sealed class RetrieveContext
{
    private readonly Dictionary<string, object> _cache = [];

    /// <summary>Returns the cached value under <paramref name="name"/>, computing it once.</summary>
    public T GetOrAdd<T>(string name, Func<T> factory)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (!_cache.TryGetValue(name, out var v))
        {
            v = factory();
            _cache[name] = v;
        }

        return v is T typed ? typed : throw new InvalidOperationException($"retrieve cache entry {name} holds a {v.GetType().Name}, not a {typeof(T).Name}");
    }
}
