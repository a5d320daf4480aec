using System.Diagnostics;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace Contiv.ApiServer.Tests;

/// <summary>A burst of pod creations is served and watched completely (the KSR's 5 000-pod case).</summary>
public sealed class BurstTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Five_thousand_pod_creations_are_all_seen_by_a_concurrent_watch_in_order()
    {
        const int Count = 5000;
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var rv = (await client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        var seen = 0;
        long lastRv = 0;
        var ordered = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var watcher = Task.Run(async () =>
        {
            await foreach (var (type, pod) in client.CoreV1.WatchListPodForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, cancellationToken: cts.Token))
            {
                if (type != WatchEventType.Added)
                {
                    continue;
                }

                var r = long.Parse(pod.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
                ordered &= r > lastRv;
                lastRv = r;
                if (++seen == Count)
                {
                    return;
                }
            }
        }, cts.Token);

        var sw = Stopwatch.StartNew();
        var next = -1;
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Count)
            {
                await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod($"burst-{i}", new Dictionary<string, string> { ["app"] = "burst" }, $"n{i % 4}"), "default", cancellationToken: cts.Token);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var created = sw.Elapsed;
        await watcher.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"{Count} pods created in {created.TotalMilliseconds:0} ms ({Count / created.TotalSeconds:0}/s), all watched after {sw.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(Count, seen);
        Assert.True(ordered);
        var list = await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=burst", fieldSelector: "spec.nodeName=n1");
        Assert.Equal(Count / 4, list.Items.Count);
    }
}
