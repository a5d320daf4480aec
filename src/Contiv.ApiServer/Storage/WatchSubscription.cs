using System.Threading.Channels;

namespace Contiv.ApiServer.Storage;

/// <summary>
/// A registered watcher of one resource (optionally one namespace). The initial events (synthetic ADDED
/// or replayed history) come first, then every later change in commit order through <see cref="Events"/>.
/// Selectors are applied by the reader. Dispose to unregister.
/// </summary>
public sealed class WatchSubscription : IDisposable
{
    private readonly Action<WatchSubscription> _unregister;
    private readonly Channel<StoreEvent> _channel = Channel.CreateUnbounded<StoreEvent>(new UnboundedChannelOptions { SingleReader = true });
    private int _disposed;

    internal WatchSubscription(string storeKey, string? ns, IReadOnlyList<StoreEvent> initial, long startResourceVersion, Action<WatchSubscription> unregister)
    {
        StoreKey = storeKey;
        Namespace = ns;
        Initial = initial;
        StartResourceVersion = startResourceVersion;
        _unregister = unregister;
    }

    /// <summary>Storage key of the watched resource.</summary>
    public string StoreKey { get; }

    /// <summary>Watched namespace, or null for all.</summary>
    public string? Namespace { get; }

    /// <summary>Events to send before the live ones.</summary>
    public IReadOnlyList<StoreEvent> Initial { get; }

    /// <summary>The store's resourceVersion when the watch was registered.</summary>
    public long StartResourceVersion { get; }

    /// <summary>Live events (and requested bookmarks) in commit order.</summary>
    public ChannelReader<StoreEvent> Events => _channel.Reader;

    internal void Post(StoreEvent e) => _channel.Writer.TryWrite(e);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unregister(this);
            _channel.Writer.TryComplete();
        }
    }
}
