using System.Diagnostics;
using System.Text.Json;
using Contiv.ApiServer;
using Contiv.Crd.Configuration;
using Contiv.Crd.Hosting;
using Contiv.Crd.Telemetry;
using Contiv.Store;
using Contiv.Testing;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.Crd.Tests.Acceptance;

/// <summary>A real etcd, the lab API server in process and in-process contiv-crds; all torn down on dispose.</summary>
internal sealed class CrdLab : IAsyncDisposable
{
    private readonly List<(CrdRunner Runner, CancellationTokenSource Stop, Task Run)> _crds = [];

    private CrdLab(EtcdServer etcd, LabApiServer api)
    {
        Etcd = etcd;
        Api = api;
        Kube = new Kubernetes(new KubernetesClientConfiguration { Host = api.Url.ToString() });
        Reader = new EtcdBroker(new EtcdBrokerOptions { Endpoints = [etcd.ClientUrl], RetryTimeout = TimeSpan.FromSeconds(20) });
    }

    /// <summary>The etcd server.</summary>
    public EtcdServer Etcd { get; }

    /// <summary>The API server.</summary>
    public LabApiServer Api { get; }

    /// <summary>The test's Kubernetes client.</summary>
    public IKubernetes Kube { get; }

    /// <summary>The test's etcd client.</summary>
    public EtcdBroker Reader { get; }

    /// <summary>Starts etcd and the API server.</summary>
    public static async Task<CrdLab> StartAsync()
    {
        var etcd = await EtcdServer.StartAsync();
        try
        {
            return new CrdLab(etcd, await LabApiServer.StartAsync(new LabApiServerOptions()));
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts an in-process contiv-crd and waits until it leads and is synced.</summary>
    public async Task<CrdRunner> StartCrdAsync(ITopologyValidation? validation = null, int validateIntervalMinutes = 0, string identity = "crd-test")
    {
        var settings = new CrdSettings { ValidateIntervalMinutes = validateIntervalMinutes };
        settings.Common.EtcdEndpoints = [Etcd.ClientUrl];
        settings.Common.Master = Api.Url.ToString();
        settings.Common.Identity = identity;
        settings.Common.ElectionTtlSeconds = 3;
        settings.Common.StatsIntervalMs = 200;
        var store = new EtcdBroker(new EtcdBrokerOptions { Endpoints = [Etcd.ClientUrl] });
        var runner = new CrdRunner(settings, new Kubernetes(new KubernetesClientConfiguration { Host = Api.Url.ToString() }), store, NullLoggerFactory.Instance, validation, ownsStore: true);
        var stop = new CancellationTokenSource();
        _crds.Add((runner, stop, Task.Run(() => runner.RunAsync(stop.Token))));
        await WaitUntilAsync(
            () => Task.FromResult(runner.IsReady && runner.IsLeader && runner.Reflectors.All(r => r.QueueLength == 0)),
            () => string.Join(", ", runner.Reflectors.Select(r => $"{r.Name}: informer {r.InformerSynced} synced {r.IsSynced} queue {r.QueueLength}")) + $"; registered {runner.Registered} leader {runner.IsLeader}");
        return runner;
    }

    /// <summary>Stops every contiv-crd started so far.</summary>
    public async Task StopCrdsAsync()
    {
        foreach (var (runner, stop, run) in _crds)
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(15));
            await runner.DisposeAsync();
            stop.Dispose();
        }

        _crds.Clear();
    }

    /// <summary>Creates a custom resource from JSON (namespace default).</summary>
    public async Task CreateAsync(Definitions.CrdKind kind, string json) =>
        await Kube.CustomObjects.CreateNamespacedCustomObjectAsync(JsonDocument.Parse(json).RootElement, kind.Group, kind.Version, "default", kind.Plural);

    /// <summary>Merge-patches a custom resource's spec (namespace default).</summary>
    public async Task PatchAsync(Definitions.CrdKind kind, string name, string mergePatch) =>
        await Kube.CustomObjects.PatchNamespacedCustomObjectAsync(new k8s.Models.V1Patch(mergePatch, k8s.Models.V1Patch.PatchType.MergePatch), kind.Group, kind.Version, "default", kind.Plural, name);

    /// <summary>Deletes a custom resource (namespace default).</summary>
    public async Task DeleteAsync(Definitions.CrdKind kind, string name) =>
        await Kube.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, "default", kind.Plural, name);

    /// <summary>Reads a custom resource (namespace default).</summary>
    public async Task<JsonElement> GetAsync(Definitions.CrdKind kind, string name) =>
        (JsonElement)await Kube.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, "default", kind.Plural, name);

    /// <summary>Waits until <paramref name="key"/> holds exactly <paramref name="value"/>.</summary>
    public Task WaitForValueAsync(string key, string value)
    {
        string? last = null;
        return WaitUntilAsync(async () => (last = (await Reader.GetAsync(key))?.Value) == value, () => $"key {key} = {last ?? "(missing)"}, expected {value}");
    }

    /// <summary>Waits until <paramref name="key"/> is gone.</summary>
    public Task WaitForNoKeyAsync(string key)
    {
        string? last = null;
        return WaitUntilAsync(async () => (last = (await Reader.GetAsync(key))?.Value) is null, () => $"key {key} still holds {last}");
    }

    /// <summary>Polls until the condition holds (20 s), else fails with the description.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> describe, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < (timeout ?? TimeSpan.FromSeconds(20)))
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("not reached: " + describe());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopCrdsAsync();
        Kube.Dispose();
        await Reader.DisposeAsync();
        await Api.DisposeAsync();
        await Etcd.DisposeAsync();
    }
}
