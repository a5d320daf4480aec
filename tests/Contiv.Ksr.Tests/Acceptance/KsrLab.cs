using System.Diagnostics;
using Contiv.ApiServer;
using Contiv.Ksr.Configuration;
using Contiv.Ksr.Hosting;
using Contiv.Store;
using Contiv.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.Ksr.Tests.Acceptance;

/// <summary>
/// A real etcd, the lab Kubernetes API server (in process) and any number of in-process KSRs
/// against them. Everything is torn down on dispose, also after a failed test.
/// </summary>
internal sealed class KsrLab : IAsyncDisposable
{
    private readonly List<RunningKsr> _ksrs = [];

    private KsrLab(EtcdServer etcd, LabApiServer api, IKubernetes kube, EtcdBroker reader)
    {
        Etcd = etcd;
        Api = api;
        Kube = kube;
        Reader = reader;
    }

    /// <summary>The etcd server.</summary>
    public EtcdServer Etcd { get; }

    /// <summary>The Kubernetes API server.</summary>
    public LabApiServer Api { get; }

    /// <summary>A Kubernetes client for the test's own requests.</summary>
    public IKubernetes Kube { get; }

    /// <summary>The test's own etcd client (reads and out-of-band writes).</summary>
    public EtcdBroker Reader { get; }

    /// <summary>Starts etcd and the API server.</summary>
    public static async Task<KsrLab> StartAsync()
    {
        var etcd = await EtcdServer.StartAsync();
        LabApiServer? api = null;
        try
        {
            api = await LabApiServer.StartAsync(new LabApiServerOptions { GracefulPodDeletion = false });
            var kube = new Kubernetes(new KubernetesClientConfiguration { Host = api.Url.ToString() });
            var reader = new EtcdBroker(new EtcdBrokerOptions { Endpoints = [etcd.ClientUrl], RetryTimeout = TimeSpan.FromSeconds(20) });
            return new KsrLab(etcd, api, kube, reader);
        }
        catch
        {
            if (api is not null)
            {
                await api.DisposeAsync();
            }

            await etcd.DisposeAsync();
            throw;
        }
    }

    /// <summary>Settings for an in-process KSR against this lab (fast statistics, short election TTL).</summary>
    public KsrSettings Settings(string identity = "ksr-test") => new()
    {
        EtcdEndpoints = [Etcd.ClientUrl],
        Master = Api.Url.ToString(),
        Identity = identity,
        ElectionTtlSeconds = 3,
        StatsIntervalMs = 200,
    };

    /// <summary>Starts an in-process KSR.</summary>
    public RunningKsr StartKsr(KsrSettings? settings = null, ILoggerFactory? loggers = null, DelegatingHandler? handler = null)
    {
        settings ??= Settings();
        loggers ??= NullLoggerFactory.Instance;
        var config = new KubernetesClientConfiguration { Host = Api.Url.ToString() };
        var kube = handler is null ? new Kubernetes(config) : new Kubernetes(config, handler);
        var store = new EtcdBroker(new EtcdBrokerOptions { Endpoints = settings.EtcdEndpoints }, loggers.CreateLogger("etcd"));
        var runner = new KsrRunner(settings, kube, store, loggers, ownsStore: true);
        var ksr = new RunningKsr(runner);
        _ksrs.Add(ksr);
        return ksr;
    }

    /// <summary>Every key under a prefix with its value.</summary>
    public async Task<Dictionary<string, string>> ListAsync(string prefix)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var kv in Reader.ListAsync(prefix))
        {
            result[kv.Key] = kv.Value;
        }

        return result;
    }

    /// <summary>Polls until the condition holds; fails with the message and the last state otherwise.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>> describe)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (StoreException)
            {
                // etcd restarting in the test: keep polling
            }

            await Task.Delay(50);
        }

        Assert.Fail($"not reached within {timeout.TotalSeconds:0.#} s: {await describe()}");
    }

    /// <summary>Waits until a key holds a value for which <paramref name="accept"/> is true.</summary>
    public Task WaitForKeyAsync(string key, Func<string, bool> accept, TimeSpan? timeout = null)
    {
        string? last = null;
        return WaitUntilAsync(
            async () => (last = (await Reader.GetAsync(key))?.Value) is { } v && accept(v),
            timeout ?? TimeSpan.FromSeconds(20),
            () => Task.FromResult($"key {key} = {last ?? "(missing)"}"));
    }

    /// <summary>Waits until a key exists.</summary>
    public Task WaitForKeyAsync(string key) => WaitForKeyAsync(key, _ => true);

    /// <summary>Waits until a key is gone.</summary>
    public Task WaitForNoKeyAsync(string key, TimeSpan? timeout = null)
    {
        string? last = null;
        return WaitUntilAsync(
            async () => (last = (await Reader.GetAsync(key))?.Value) is null,
            timeout ?? TimeSpan.FromSeconds(20),
            () => Task.FromResult($"key {key} still exists: {last}"));
    }

    /// <summary>Creates a pod (with a node and an IP in its status when given).</summary>
    public async Task<V1Pod> CreatePodAsync(string name, string ns = "default", IDictionary<string, string>? labels = null, string? node = null, string? ip = null)
    {
        var pod = await Kube.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = labels },
                Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox", Ports = [new V1ContainerPort { ContainerPort = 80, Name = "http" }] }] },
            },
            ns);
        if (ip is not null)
        {
            pod.Status ??= new V1PodStatus();
            pod.Status.PodIP = ip;
            pod.Status.HostIP = "192.168.16.1";
            pod.Status.Phase = "Running";
            pod = await Kube.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, ns);
        }

        return pod;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var ksr in _ksrs)
        {
            await ksr.DisposeAsync();
        }

        Kube.Dispose();
        await Reader.DisposeAsync();
        await Api.DisposeAsync();
        await Etcd.DisposeAsync();
    }
}

/// <summary>An in-process KSR running in the background until stopped.</summary>
internal sealed class RunningKsr : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private bool _disposed;

    internal RunningKsr(KsrRunner runner)
    {
        Runner = runner;
        _run = Task.Run(() => runner.RunAsync(_stop.Token));
    }

    /// <summary>The KSR.</summary>
    public KsrRunner Runner { get; }

    /// <summary>Waits until the KSR leads and every reflector is synced.</summary>
    public Task WaitSyncedAsync(TimeSpan? timeout = null) => KsrLab.WaitUntilAsync(
        () => Task.FromResult(Runner.IsLeader && Runner.Controller.AllSynced && Runner.Reflectors.All(r => r.QueueLength == 0)),
        timeout ?? TimeSpan.FromSeconds(30),
        () => Task.FromResult(string.Join(", ", Runner.Reflectors.Select(r => $"{r.Name}: informer {r.InformerSynced}, synced {r.IsSynced}, queue {r.QueueLength}"))
            + $"; leader {Runner.IsLeader}, writable {Runner.Controller.Writable}, etcd {Runner.Store.ConnectionState}"));

    /// <summary>Stops the KSR (like SIGTERM) and waits until it has stopped.</summary>
    public async Task StopAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            await Runner.DisposeAsync();
            _stop.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>
/// Holds watch requests whose path contains a fragment while closed (the real API server still
/// answers them once opened): lets a test make a watch resume from an old resourceVersion.
/// </summary>
public sealed class WatchGate(string pathFragment) : DelegatingHandler
{
    private readonly object _lock = new();
    private TaskCompletionSource _open = Opened();
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts holding matching watch requests.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Releases held requests.</summary>
    public void Open()
    {
        lock (_lock)
        {
            _open.TrySetResult();
        }
    }

    /// <summary>Waits until a request is being held.</summary>
    public Task WaitHeldAsync(TimeSpan timeout)
    {
        lock (_lock)
        {
            return _held.Task.WaitAsync(timeout);
        }
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri?.ToString() ?? string.Empty;
        if (uri.Contains(pathFragment, StringComparison.Ordinal) && uri.Contains("watch=", StringComparison.Ordinal))
        {
            Task open;
            lock (_lock)
            {
                open = _open.Task;
                if (!open.IsCompleted)
                {
                    _held.TrySetResult();
                }
            }

            await open.WaitAsync(cancellationToken);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private static TaskCompletionSource Opened()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }
}
