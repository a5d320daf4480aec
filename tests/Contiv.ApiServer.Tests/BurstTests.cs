using System.Diagnostics;
using System.Net;
using System.Text;
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

    [Fact]
    public async Task Concurrent_creates_of_one_name_give_exactly_one_201_and_409_AlreadyExists_for_the_rest()
    {
        const int Clients = 16;
        await using var server = await Lab.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            start.Wait();
            using var body = new StringContent($$$"""{"metadata":{"name":"same","labels":{"client":"c{{{i}}}"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("api/v1/namespaces/default/pods", body);
            return (i, response.StatusCode, await response.Content.ReadAsStringAsync());
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(tasks);

        var created = Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Contains("\"reason\":\"AlreadyExists\"", r.Item3, StringComparison.Ordinal);
        });

        // The stored pod is the one the single 201 answered with.
        var pod = await Lab.Client(server).CoreV1.ReadNamespacedPodAsync("same", "default");
        Assert.Equal($"c{created.i}", pod.Metadata.Labels["client"]);
        Assert.Contains($"\"resourceVersion\":\"{pod.Metadata.ResourceVersion}\"", created.Item3, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_create_among_concurrent_ones_fails_only_its_own_request()
    {
        const int Clients = 16;
        await using var server = await Lab.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var tasks = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            // Every fourth create is invalid (an upper-case name): 422 for it, 201 for its neighbours.
            var name = i % 4 == 3 ? $"Bad-{i}" : $"good-{i}";
            using var body = new StringContent($$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("api/v1/namespaces/default/pods", body);
            return (i, response.StatusCode);
        })).ToArray();
        var results = await Task.WhenAll(tasks);

        Assert.All(results, r => Assert.Equal(r.i % 4 == 3 ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.Created, r.StatusCode));
        var pods = await Lab.Client(server).CoreV1.ListNamespacedPodAsync("default");
        Assert.Equal(Enumerable.Range(0, Clients).Where(i => i % 4 != 3).Select(i => $"good-{i}").Order(StringComparer.Ordinal),
            pods.Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal));

        // Every stored pod has its own resourceVersion, and the list's is the newest of them.
        var versions = pods.Items.Select(p => long.Parse(p.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.True(long.Parse(pods.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) >= versions.Max());
    }
}
