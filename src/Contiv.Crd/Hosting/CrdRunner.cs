using Contiv.Crd.Configuration;
using Contiv.Crd.Conversion;
using Contiv.Crd.Definitions;
using Contiv.Crd.Kube;
using Contiv.Crd.Reflection;
using Contiv.Crd.Status;
using Contiv.Crd.Telemetry;
using Contiv.Ksr.Conversion;
using Contiv.Ksr.Election;
using Contiv.Ksr.Kube;
using Contiv.Ksr.Reflection;
using Contiv.Ksr.Sync;
using Contiv.Model;
using Contiv.Store;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using k8s;
using Microsoft.Extensions.Logging;
using CrdModel = Contiv.Model.Crd;

namespace Contiv.Crd.Hosting;

/// <summary>
/// One running contiv-crd (SPEC §1.4): registers the CRDs, then KSR's machinery per kind — an
/// informer, a reflector into etcd (mark-and-sweep resync with back-off), the sync controller and
/// the leader election — plus a status writer per kind and the periodic topology validation.
/// Used by the <c>contiv-crd</c> executable and, in-process, by tests.
/// </summary>
internal sealed partial class CrdRunner : IAsyncDisposable
{
    /// <summary>etcd prefix of contiv-crd's election (its own: KSR and contiv-crd both lead).</summary>
    public const string ElectionPrefix = "/contiv-crd/election";

    /// <summary>Statistics record of contiv-crd's sync controller (its data-loss canary).</summary>
    public const string StatsKey = "/contiv-crd/status/gauges";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private readonly IKubernetes _kube;
    private readonly IEtcdBroker _store;
    private readonly bool _ownsStore;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly List<KubeInformer> _informers = [];
    private readonly List<StatusWriter> _statusWriters = [];
    private volatile bool _running;
    private volatile bool _registered;

    /// <summary>Creates contiv-crd over an existing Kubernetes client and etcd broker.</summary>
    /// <param name="settings">Settings.</param>
    /// <param name="kube">Kubernetes client.</param>
    /// <param name="store">etcd broker.</param>
    /// <param name="loggers">Logger factory.</param>
    /// <param name="validation">The topology validation (null: no telemetry reports).</param>
    /// <param name="ownsStore">Dispose the broker with the runner.</param>
    /// <param name="time">Clock of the back-offs and the validation interval (null: the system clock).</param>
    public CrdRunner(CrdSettings settings, IKubernetes kube, IEtcdBroker store, ILoggerFactory loggers, ITopologyValidation? validation = null, bool ownsStore = false, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        _time = time ?? TimeProvider.System;
        Settings = settings;
        _kube = kube;
        _store = store;
        _ownsStore = ownsStore;
        _log = loggers.CreateLogger("contiv-crd");
        Validation = validation;
        var common = settings.Common;
        var informerLog = loggers.CreateLogger("contiv-crd.informer");
        var reflectors = new List<Reflector>();

        void Follow(CrdKind kind, string prefix, MessageDescriptor descriptor, Projection projection, Func<CustomResource, IMessage> check, Func<string, bool>? owns = null)
        {
            var reflector = new Reflector(kind.Kind, prefix, descriptor, projection, store, loggers.CreateLogger("contiv-crd.reflector." + kind.Kind)) { OwnsKey = owns };
            var status = new StatusWriter(kind, r => Problem(r, check), kube, () => IsLeader, loggers.CreateLogger("contiv-crd.status"), _time);
            reflectors.Add(reflector);
            _statusWriters.Add(status);
            _informers.Add(new KubeInformer(CustomResourceSource.For(kube, kind, common.WatchTimeoutSeconds), [reflector, status], informerLog, _time));
        }

        static KeyedProjection<CustomResource> Keyed(Func<string, string> key, Func<CustomResource, IMessage> convert) =>
            new(r => key(r.Metadata.Name), convert);

        Follow(CrdKind.NodeConfig, Keys.NodeConfigPrefix, CrdModel.NodeConfig.Descriptor, Keyed(Keys.NodeConfig, CrdConversions.NodeConfig), CrdConversions.NodeConfig);
        Follow(CrdKind.CustomNetwork, Keys.CustomNetworkPrefix, CrdModel.CustomNetwork.Descriptor, Keyed(Keys.CustomNetwork, CrdConversions.CustomNetwork), CrdConversions.CustomNetwork);
        Follow(CrdKind.ExternalInterface, Keys.ExternalInterfacePrefix, CrdModel.ExternalInterface.Descriptor, Keyed(Keys.ExternalInterface, CrdConversions.ExternalInterface), CrdConversions.ExternalInterface);
        Follow(CrdKind.ServiceFunctionChain, Keys.ServiceFunctionChainPrefix, CrdModel.ServiceFunctionChain.Descriptor, Keyed(Keys.ServiceFunctionChain, CrdConversions.ServiceFunctionChain), CrdConversions.ServiceFunctionChain);
        var items = new MultiKeyProjection(r => CustomConfigurationItems.KeyValues(r).Select(kv => (kv.Key, (IMessage)kv.Record)));
        Follow(CrdKind.CustomConfiguration, Keys.AgentRoot, Value.Descriptor, items, r => new ListValue { Values = { CustomConfigurationItems.KeyValues(r).Select(kv => kv.Record) } }, items.Owns);
        Reflectors = reflectors;

        Controller = new SyncController(Reflectors, store, loggers.CreateLogger("contiv-crd.sync"), _time)
        {
            StatsKey = StatsKey,
            StatsInterval = TimeSpan.FromMilliseconds(common.StatsIntervalMs),
            WritersPerReflector = common.WritersPerReflector,
        };
        if (common.Election)
        {
            Election = new EtcdLeaderElection(store, ElectionPrefix, common.Identity, TimeSpan.FromSeconds(common.ElectionTtlSeconds), loggers.CreateLogger("contiv-crd.election"), _time);
            Election.LeadershipChanged += Controller.SetLeadership;
        }

        Telemetry = new TelemetryReporter(kube, validation, TimeSpan.FromMinutes(settings.ValidateIntervalMinutes), () => IsLeader, loggers.CreateLogger("contiv-crd.telemetry"), _time, store);
    }

    /// <summary>The settings.</summary>
    public CrdSettings Settings { get; }

    /// <summary>The reflectors: NodeConfig, CustomNetwork, ExternalInterface, ServiceFunctionChain, CustomConfiguration.</summary>
    public IReadOnlyList<Reflector> Reflectors { get; }

    /// <summary>The status writers, one per reflected kind (same order as <see cref="Reflectors"/>).</summary>
    public IReadOnlyList<StatusWriter> StatusWriters => _statusWriters;

    /// <summary>The informers, one per reflected kind.</summary>
    public IReadOnlyList<KubeInformer> Informers => _informers;

    /// <summary>The sync controller.</summary>
    public SyncController Controller { get; }

    /// <summary>The leader election, or null when disabled.</summary>
    public EtcdLeaderElection? Election { get; }

    /// <summary>The topology validation, or null when there is none.</summary>
    public ITopologyValidation? Validation { get; }

    /// <summary>Writes the TelemetryReport.</summary>
    public TelemetryReporter Telemetry { get; }

    /// <summary>The etcd broker.</summary>
    public IEtcdBroker Store => _store;

    /// <summary>The Kubernetes client.</summary>
    public IKubernetes Kube => _kube;

    /// <summary>True while <see cref="RunAsync"/> runs.</summary>
    public bool Running => _running;

    /// <summary>True once the CRDs are registered.</summary>
    public bool Registered => _registered;

    /// <summary>True when this instance leads (always, without election).</summary>
    public bool IsLeader => Election?.IsLeader ?? true;

    /// <summary>Ready: running, CRDs registered, connected to etcd, and either a synced leader or a waiting follower.</summary>
    public bool IsReady => _running && _registered
        && _store.ConnectionState == StoreConnectionState.Connected
        && (!IsLeader || Controller.AllSynced);

    /// <summary>Registers the CRDs (retrying until the API server answers), then runs everything until cancelled.</summary>
    /// <param name="ct">Stops contiv-crd.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        _running = true;
        LogStarting(_log, string.Join(",", Settings.Common.EtcdEndpoints), _kube is Kubernetes k ? k.BaseUri.ToString() : "(client)", Settings.Common.Election);
        try
        {
            await RegisterAsync(ct).ConfigureAwait(false);
            var tasks = new List<Task>();
            tasks.AddRange(_informers.Select(i => Task.Run(() => i.RunAsync(ct), CancellationToken.None)));
            tasks.AddRange(_statusWriters.Select(w => Task.Run(() => w.RunAsync(ct), CancellationToken.None)));
            tasks.Add(Task.Run(() => Controller.RunAsync(ct), CancellationToken.None));
            tasks.Add(Task.Run(() => Telemetry.RunAsync(ct), CancellationToken.None));
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
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
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

    private async Task RegisterAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await CrdRegistration.EnsureAllAsync(_kube, _log, ct).ConfigureAwait(false);
                _registered = true;
                return;
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or IOException && !ct.IsCancellationRequested)
            {
                LogRegisterFailed(_log, backoff.TotalMilliseconds, e.Message);
                await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
            }
        }
    }

    // The status check runs the same conversion the reflector does.
    private static string? Problem(CustomResource r, Func<CustomResource, IMessage> check)
    {
        try
        {
            check(r);
            return null;
        }
        catch (Exception e) when (e is ConversionException or ArgumentException)
        {
            return e.Message;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "contiv-crd starting: etcd {Etcd}, Kubernetes API {Api}, leader election {Election}")]
    private static partial void LogStarting(ILogger log, string etcd, string api, bool election);

    [LoggerMessage(Level = LogLevel.Information, Message = "contiv-crd stopped")]
    private static partial void LogStopped(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "registering the CustomResourceDefinitions failed; retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogRegisterFailed(ILogger log, double delayMs, string reason);
}
