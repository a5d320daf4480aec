using Prometheus;

namespace Contiv.Ksr.Hosting;

/// <summary>
/// Prometheus export: Contiv's <c>/stats</c> gauges (SPEC §5: adds, deletes, updates, addErrors,
/// deleteErrors, updateErrors, resyncs, resyncErrors, argErrors, label <c>reflectorType</c>) in
/// their own registry, and operational gauges (leader, synced, queue length, data-loss events) in
/// <see cref="Default"/> for <c>/metrics</c>. Values are read from the runner when scraped.
/// </summary>
internal sealed class KsrMetrics
{
    private readonly KsrRunner _runner;
    private readonly Gauge _adds;
    private readonly Gauge _deletes;
    private readonly Gauge _updates;
    private readonly Gauge _addErrors;
    private readonly Gauge _deleteErrors;
    private readonly Gauge _updateErrors;
    private readonly Gauge _resyncs;
    private readonly Gauge _resyncErrors;
    private readonly Gauge _argErrors;
    private readonly Gauge _leader;
    private readonly Gauge _synced;
    private readonly Gauge _queue;
    private readonly Gauge _desired;
    private readonly Gauge _dataLoss;
    private readonly Gauge _fullResyncs;

    /// <summary>Creates the registries for <paramref name="runner"/>.</summary>
    /// <param name="runner">The KSR to export.</param>
    public KsrMetrics(KsrRunner runner)
    {
        _runner = runner;
        Stats = Metrics.NewCustomRegistry();
        Default = Metrics.NewCustomRegistry();
        var stats = Metrics.WithCustomRegistry(Stats);
        string[] label = ["reflectorType"];
        Gauge G(string name, string help) => stats.CreateGauge(name, help, label);
        _adds = G("adds", "Records created in etcd");
        _deletes = G("deletes", "Records deleted from etcd");
        _updates = G("updates", "Records replaced in etcd because they changed");
        _addErrors = G("addErrors", "Failed creates");
        _deleteErrors = G("deleteErrors", "Failed deletes");
        _updateErrors = G("updateErrors", "Failed updates");
        _resyncs = G("resyncs", "Completed mark-and-sweep resyncs");
        _resyncErrors = G("resyncErrors", "Failed resync attempts");
        _argErrors = G("argErrors", "Kubernetes objects that could not be converted");

        var ops = Metrics.WithCustomRegistry(Default);
        _leader = ops.CreateGauge("contiv_ksr_leader", "1 while this KSR leads and writes");
        _synced = ops.CreateGauge("contiv_ksr_reflector_synced", "1 while the reflector is data-store synced", "reflector");
        _queue = ops.CreateGauge("contiv_ksr_reflector_queue_length", "Keys waiting to be written", "reflector");
        _desired = ops.CreateGauge("contiv_ksr_reflector_objects", "Kubernetes objects reflected", "reflector");
        _dataLoss = ops.CreateGauge("contiv_ksr_data_loss_events", "Times etcd data loss was detected");
        _fullResyncs = ops.CreateGauge("contiv_ksr_full_resyncs", "Full resyncs started");
        Stats.AddBeforeCollectCallback(Update);
        Default.AddBeforeCollectCallback(Update);
    }

    /// <summary>Registry served at <c>/stats</c>.</summary>
    public CollectorRegistry Stats { get; }

    /// <summary>Registry served at <c>/metrics</c>.</summary>
    public CollectorRegistry Default { get; }

    private void Update()
    {
        foreach (var r in _runner.Reflectors)
        {
            var s = r.Statistics;
            _adds.WithLabels(r.Name).Set(s.Adds);
            _deletes.WithLabels(r.Name).Set(s.Deletes);
            _updates.WithLabels(r.Name).Set(s.Updates);
            _addErrors.WithLabels(r.Name).Set(s.AddErrors);
            _deleteErrors.WithLabels(r.Name).Set(s.DelErrors);
            _updateErrors.WithLabels(r.Name).Set(s.UpdErrors);
            _resyncs.WithLabels(r.Name).Set(s.Resyncs);
            _resyncErrors.WithLabels(r.Name).Set(s.ResErrors);
            _argErrors.WithLabels(r.Name).Set(s.ArgErrors);
            _synced.WithLabels(r.Name).Set(r.IsSynced ? 1 : 0);
            _queue.WithLabels(r.Name).Set(r.QueueLength);
            _desired.WithLabels(r.Name).Set(r.DesiredCount);
        }

        _leader.Set(_runner.IsLeader && _runner.Controller.Writable ? 1 : 0);
        _dataLoss.Set(_runner.Controller.DataLossEvents);
        _fullResyncs.Set(_runner.Controller.FullResyncs);
    }
}
