using Contiv.ApiServer;
using Contiv.Lab.Kubelet;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>
/// The lab scheduler is event-driven: a pod is bound as soon as it appears or as soon as a node turns
/// Ready, and an idle cluster gets no requests from it at all (it used to re-list every 2 s).
/// </summary>
public sealed class LabSchedulerTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly RequestCounter _counter = new();
    private LabApiServer _server = null!;
    private Kubernetes _client = null!;
    private Kubernetes _schedulerClient = null!;
    private Task _scheduler = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _server = await LabApiServer.StartAsync(new LabApiServerOptions { Port = 0, GracefulPodDeletion = false });
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
        _schedulerClient = new Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() }, _counter);
        await _client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node1" } });
        await SetReadyAsync("node1", false);
        _scheduler = Task.Run(() => LabScheduler.RunAsync(_schedulerClient, _stop.Token));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _scheduler;
        _schedulerClient.Dispose();
        _client.Dispose();
        await _server.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_pending_pod_is_bound_promptly_when_a_node_turns_ready_and_an_idle_scheduler_sends_nothing()
    {
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("waiting"), "default");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(string.IsNullOrEmpty((await _client.CoreV1.ReadNamespacedPodAsync("waiting", "default")).Spec.NodeName), "bound without a Ready node");

        await SetReadyAsync("node1", true);
        var boundAfter = await BoundWithinAsync("waiting", TimeSpan.FromSeconds(5));
        Assert.True(boundAfter < TimeSpan.FromSeconds(1.5), $"bound {boundAfter.TotalMilliseconds:0} ms after the node turned Ready");

        await _client.CoreV1.CreateNamespacedPodAsync(Pod("fresh"), "default");
        var freshAfter = await BoundWithinAsync("fresh", TimeSpan.FromSeconds(5));
        Assert.True(freshAfter < TimeSpan.FromSeconds(1.5), $"bound {freshAfter.TotalMilliseconds:0} ms after creation");

        // Idle: the open watches carry nothing, so no request at all for 5 s.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var before = _counter.Count;
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(before, _counter.Count);
    }

    private async Task<TimeSpan> BoundWithinAsync(string name, TimeSpan timeout)
    {
        var start = DateTime.UtcNow;
        while (DateTime.UtcNow - start < timeout)
        {
            if ((await _client.CoreV1.ReadNamespacedPodAsync(name, "default")).Spec.NodeName == "node1")
            {
                return DateTime.UtcNow - start;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"pod {name} not bound within {timeout}");
    }

    private Task SetReadyAsync(string node, bool ready)
        => _client.CoreV1.PatchNodeStatusAsync(new V1Patch("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False") + "\"}]}}", V1Patch.PatchType.MergePatch), node);

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "none", Command = ["sleep", "infinity"] }] },
    };

    /// <summary>Counts the HTTP requests the scheduler's client sends.</summary>
    private sealed class RequestCounter : DelegatingHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
