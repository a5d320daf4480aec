using Contiv.ApiServer;
using Contiv.Lab.Controllers;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>An in-process lab API server (pods deleted at once), two Ready nodes, the controller-manager and a fake kubelet.</summary>
internal sealed class ControllerLab : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private LabApiServer _server = null!;
    private FakeKubelet _kubelet = null!;
    private Task _manager = Task.CompletedTask;

    public Kubernetes Client { get; private set; } = null!;

    public static async Task<ControllerLab> StartAsync(int nodes = 2)
    {
        var lab = new ControllerLab();
        lab._server = await LabApiServer.StartAsync(new LabApiServerOptions { Port = 0, GracefulPodDeletion = false });
        lab.Client = new Kubernetes(new KubernetesClientConfiguration { Host = lab._server.Url.ToString() });
        for (var i = 1; i <= nodes; i++)
        {
            await lab.AddNodeAsync($"node{i}", ready: true);
        }

        lab._manager = Task.Run(() => new ControllerManager(lab.Client).RunAsync(lab._stop.Token));
        lab._kubelet = new FakeKubelet(lab.Client);
        return lab;
    }

    public async Task AddNodeAsync(string name, bool ready, IDictionary<string, string>? labels = null)
    {
        await Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name, Labels = labels } });
        await SetNodeReadyAsync(name, ready);
    }

    public Task SetNodeReadyAsync(string name, bool ready)
    {
        var patch = "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False") + "\"}]}}";
        return Client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name);
    }

    public async Task<List<V1Pod>> PodsAsync(string selector)
        => (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: selector)).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();

    public async ValueTask DisposeAsync()
    {
        await _kubelet.DisposeAsync();
        await _stop.CancelAsync();
        try
        {
            await _manager;
        }
        catch (OperationCanceledException)
        {
        }

        Client.Dispose();
        await _server.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>Polls until the condition holds; false after the timeout.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
