using Contiv.Ksr.Configuration;
using Contiv.Ksr.Conversion;
using Contiv.Ksr.Election;
using Contiv.Ksr.Kube;
using Contiv.Ksr.Reflection;
using Contiv.Ksr.Sync;
using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Store;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using KsrNamespace = Contiv.Model.Ksr.Namespace;

namespace Contiv.Ksr.Hosting;

/// <summary>
/// One running KSR: the informers (Kubernetes list/watch), the reflectors (records → etcd), the
/// sync controller (resync, data-loss detection, statistics) and the leader election. Used by the
/// <c>contiv-ksr</c> executable and, in-process, by tests.
/// </summary>
internal sealed partial class KsrRunner : IAsyncDisposable
{
    private readonly IKubernetes _kube;
    private readonly IEtcdBroker _store;
    private readonly bool _ownsStore;
    private readonly ILogger _log;
    private readonly List<KubeInformer> _informers = [];
    private readonly NodeCleanup _nodeCleanup;
    private readonly TimeProvider _time;
    private volatile bool _running;

    /// <summary>Creates a KSR over an existing Kubernetes client and etcd broker.</summary>
    /// <param name="settings">Settings (election, writers, endpoints source, stats interval).</param>
    /// <param name="kube">Kubernetes client.</param>
    /// <param name="store">etcd broker.</param>
    /// <param name="loggers">Logger factory.</param>
    /// <param name="ownsStore">Dispose the broker with the runner.</param>
    /// <param name="time">Clock of every back-off, the statistics interval and the election's retries (null: the system clock).</param>
    public KsrRunner(KsrSettings settings, IKubernetes kube, IEtcdBroker store, ILoggerFactory loggers, bool ownsStore = false, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        Settings = settings;
        _kube = kube;
        _store = store;
        _ownsStore = ownsStore;
        _log = loggers.CreateLogger("contiv-ksr");
        _nodeCleanup = new NodeCleanup(store, loggers.CreateLogger("contiv-ksr.node-cleanup"));

        Reflector Make(string name, string prefix, Google.Protobuf.Reflection.MessageDescriptor descriptor, Projection projection)
            => new(name, prefix, descriptor, projection, store, loggers.CreateLogger("contiv-ksr.reflector." + name));

        var ns = Make(ReflectorNames.Namespace, Keys.NamespacePrefix, KsrNamespace.Descriptor,
            new KeyedProjection<V1Namespace>(n => Keys.Namespace(n.Metadata.Name), NamespaceConversion.ToProto));
        var pod = Make(ReflectorNames.Pod, Keys.PodPrefix, Pod.Descriptor,
            new KeyedProjection<V1Pod>(p => Keys.Pod(p.Metadata.Name, p.Metadata.NamespaceProperty), PodConversion.ToProto));
        var sfc = Make(ReflectorNames.SfcPod, Keys.SfcPrefix, Sfc.Descriptor,
            new KeyedProjection<V1Pod>(p => Keys.Sfc(p.Metadata.Name, p.Metadata.NamespaceProperty), p => PodConversion.IsSfcPod(p) ? PodConversion.ToSfc(p) : null));
        var policy = Make(ReflectorNames.Policy, Keys.PolicyPrefix, Policy.Descriptor,
            new KeyedProjection<V1NetworkPolicy>(p => Keys.Policy(p.Metadata.Name, p.Metadata.NamespaceProperty), PolicyConversion.ToProto));
        var service = Make(ReflectorNames.Service, Keys.ServicePrefix, Service.Descriptor,
            new KeyedProjection<V1Service>(s => Keys.Service(s.Metadata.Name, s.Metadata.NamespaceProperty), ServiceConversion.ToProto));
        Projection endpointsProjection = settings.EndpointsSource == EndpointsSource.EndpointSlices
            ? new EndpointSliceProjection()
            : new KeyedProjection<V1Endpoints>(
                e => EndpointsConversion.SkippedNames.Contains(e.Metadata.Name) ? null : Keys.Endpoints(e.Metadata.Name, e.Metadata.NamespaceProperty),
                EndpointsConversion.ToProto);
        var endpoints = Make(ReflectorNames.Endpoints, Keys.EndpointsPrefix, Endpoints.Descriptor, endpointsProjection);
        var node = Make(ReflectorNames.Node, Keys.NodePrefix, Node.Descriptor,
            new KeyedProjection<V1Node>(n => Keys.Node(n.Metadata.Name), NodeConversion.ToProto));
        node.AfterDelete = (key, ct) =>
        {
            _ = CleanUpNodeAsync(key, ct);
            return Task.CompletedTask;
        };

        Reflectors = [ns, pod, sfc, policy, service, endpoints, node];
        var informerLog = loggers.CreateLogger("contiv-ksr.informer");
        _informers.Add(new KubeInformer(KubeSource.Namespaces(kube, settings.WatchTimeoutSeconds), [ns], informerLog, _time));
        _informers.Add(new KubeInformer(KubeSource.Pods(kube, settings.WatchTimeoutSeconds), [pod, sfc], informerLog, _time));
        _informers.Add(new KubeInformer(KubeSource.NetworkPolicies(kube, settings.WatchTimeoutSeconds), [policy], informerLog, _time));
        _informers.Add(new KubeInformer(KubeSource.Services(kube, settings.WatchTimeoutSeconds), [service], informerLog, _time));
        _informers.Add(new KubeInformer(
            settings.EndpointsSource == EndpointsSource.EndpointSlices ? KubeSource.EndpointSlices(kube, settings.WatchTimeoutSeconds) : KubeSource.Endpoints(kube, settings.WatchTimeoutSeconds),
            [endpoints], informerLog, _time));
        _informers.Add(new KubeInformer(KubeSource.Nodes(kube, settings.WatchTimeoutSeconds), [node], informerLog, _time));

        Controller = new SyncController(Reflectors, store, loggers.CreateLogger("contiv-ksr.sync"), _time)
        {
            StatsInterval = TimeSpan.FromMilliseconds(settings.StatsIntervalMs),
            WritersPerReflector = settings.WritersPerReflector,
        };
        if (settings.Election)
        {
            Election = new EtcdLeaderElection(store, Keys.KsrElectionPrefix, settings.Identity, TimeSpan.FromSeconds(settings.ElectionTtlSeconds), loggers.CreateLogger("contiv-ksr.election"), _time);
            Election.LeadershipChanged += Controller.SetLeadership;
        }
    }

    /// <summary>The settings.</summary>
    public KsrSettings Settings { get; }

    /// <summary>The reflectors: Namespace, Pod, SfcPod, Policy, Service, Endpoints, Node.</summary>
    public IReadOnlyList<Reflector> Reflectors { get; }

    /// <summary>The informers, one per watched resource.</summary>
    public IReadOnlyList<KubeInformer> Informers => _informers;

    /// <summary>The sync controller.</summary>
    public SyncController Controller { get; }

    /// <summary>The leader election, or null when disabled.</summary>
    public EtcdLeaderElection? Election { get; }

    /// <summary>The etcd broker.</summary>
    public IEtcdBroker Store => _store;

    /// <summary>True while <see cref="RunAsync"/> runs.</summary>
    public bool Running => _running;

    /// <summary>True when this instance leads (always, without election).</summary>
    public bool IsLeader => Election?.IsLeader ?? true;

    /// <summary>Ready: running, connected to etcd, and either a synced leader or a waiting follower.</summary>
    public bool IsReady => _running
        && _store.ConnectionState == StoreConnectionState.Connected
        && (!IsLeader || Controller.AllSynced);

    /// <summary>Runs everything until cancelled, then resigns leadership.</summary>
    /// <param name="ct">Stops the KSR.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        _running = true;
        LogStarting(_log, string.Join(",", Settings.EtcdEndpoints), _kube is Kubernetes k ? k.BaseUri.ToString() : "(client)", Settings.Election);
        try
        {
            var tasks = new List<Task>();
            tasks.AddRange(_informers.Select(i => Task.Run(() => i.RunAsync(ct), CancellationToken.None)));
            tasks.Add(Task.Run(() => Controller.RunAsync(ct), CancellationToken.None));
            if (Election is not null)
            {
                tasks.Add(Task.Run(() => Election.RunAsync(ct), CancellationToken.None));
            }
            else
            {
                Controller.SetLeadership(true);
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            _running = false;
            LogStopped(_log);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsStore)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        _kube.Dispose();
    }

    /// <summary>Creates the Kubernetes client from the settings: <c>--master</c>/<c>--kubeconfig</c>, else in-cluster, else the default kubeconfig.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The client.</returns>
    public static IKubernetes CreateKubernetesClient(KsrSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        KubernetesClientConfiguration config;
        if (settings.Kubeconfig is not null)
        {
            if (!File.Exists(settings.Kubeconfig))
            {
                throw new ArgumentException($"kubeconfig '{settings.Kubeconfig}' does not exist");
            }

            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(settings.Kubeconfig, masterUrl: settings.Master);
        }
        else if (settings.Master is not null)
        {
            config = new KubernetesClientConfiguration { Host = settings.Master };
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            config = KubernetesClientConfiguration.BuildDefaultConfig();
        }

        return new Kubernetes(config);
    }

    /// <summary>Creates the etcd broker from the settings.</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="loggers">Logger factory.</param>
    /// <returns>The broker.</returns>
    public static EtcdBroker CreateStore(KsrSettings settings, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        var options = new EtcdBrokerOptions
        {
            Endpoints = settings.EtcdEndpoints,
            CaFile = settings.EtcdCaFile,
            CertFile = settings.EtcdCertFile,
            KeyFile = settings.EtcdKeyFile,
            Username = settings.EtcdUsername,
            Password = settings.EtcdPassword,
        };
        options.Validate();
        return new EtcdBroker(options, loggers.CreateLogger("contiv-ksr.etcd"));
    }

    private async Task CleanUpNodeAsync(string nodeKey, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _nodeCleanup.NodeRecordDeletedAsync(nodeKey, ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreException or ArgumentException)
            {
                LogCleanupFailed(_log, nodeKey, backoff.TotalMilliseconds, e.Message);
                await Task.Delay(backoff, _time, ct).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                backoff = backoff * 2 > TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : backoff * 2;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "contiv-ksr starting: etcd {Etcd}, Kubernetes API {Api}, leader election {Election}")]
    private static partial void LogStarting(ILogger log, string etcd, string api, bool election);

    [LoggerMessage(Level = LogLevel.Information, Message = "contiv-ksr stopped")]
    private static partial void LogStopped(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cleanup after deleted node record {Key} failed; retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogCleanupFailed(ILogger log, string key, double delayMs, string reason);
}
