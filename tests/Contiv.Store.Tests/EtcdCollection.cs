using Contiv.Testing;

namespace Contiv.Store.Tests;

/// <summary>Tests that share one etcd; each uses its own key prefix. Tests that kill, wipe or compact etcd start their own.</summary>
[CollectionDefinition(Name)]
public sealed class EtcdCollection : ICollectionFixture<EtcdFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "shared etcd";
}

/// <summary>Helpers shared by the store tests.</summary>
internal static class TestBrokers
{
    /// <summary>Options for a test broker: fast back-off so restarts are noticed quickly.</summary>
    public static EtcdBrokerOptions Options(string url) => new()
    {
        Endpoints = [url],
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
        HealthInterval = TimeSpan.FromMilliseconds(250),
        RequestTimeout = TimeSpan.FromSeconds(3),
        RetryTimeout = TimeSpan.FromSeconds(20),
    };

    public static async Task<EtcdBroker> ConnectAsync(string url, Func<EtcdBrokerOptions, EtcdBrokerOptions>? tweak = null)
    {
        var o = Options(url);
        var broker = new EtcdBroker(tweak is null ? o : tweak(o));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await broker.WaitConnectedAsync(cts.Token);
        return broker;
    }

    /// <summary>Collects watch events until <paramref name="until"/> holds or the timeout passes.</summary>
    public static async Task<List<StoreEvent>> CollectAsync(IAsyncEnumerable<StoreEvent> watch, Func<List<StoreEvent>, bool> until, TimeSpan timeout)
    {
        var seen = new List<StoreEvent>();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var e in watch.WithCancellation(cts.Token))
            {
                seen.Add(e);
                if (until(seen))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }

        return seen;
    }
}
