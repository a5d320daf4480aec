using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Contiv.Crd.Definitions;
using Contiv.Model;
using Contiv.Store;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Contiv.Crd.Telemetry;

/// <summary>
/// Runs the topology validation while leading and writes the result into the status of the
/// TelemetryReport <c>default/default-telemetry</c> (created when missing, with
/// <c>spec.report_polling_period_seconds</c>): a round <see cref="Debounce"/> after the cluster's topology
/// records in etcd stopped changing (nodes, Contiv node IDs, pods: <see cref="IsTopologyKey"/>, followed by a
/// watch, so an idle cluster costs nothing) and at the latest every interval after the last round (the
/// safety net for drift in the data planes, which etcd does not see). Nothing runs without a validation or
/// with interval 0.
/// </summary>
internal sealed partial class TelemetryReporter
{
    /// <summary>Namespace of the report.</summary>
    public const string ReportNamespace = "default";

    /// <summary>Name of the report.</summary>
    public const string ReportName = "default-telemetry";

    private readonly IKubernetes _kube;
    private readonly ITopologyValidation? _validation;
    private readonly TimeSpan _interval;
    private readonly Func<bool> _isLeader;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly IEtcdBroker? _store;
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Creates the reporter.</summary>
    /// <param name="kube">Kubernetes client.</param>
    /// <param name="validation">The validation, or null.</param>
    /// <param name="interval">Time between rounds; zero disables them.</param>
    /// <param name="isLeader">True while this instance may write.</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the interval.</param>
    /// <param name="store">etcd broker whose topology records are watched (null: rounds every interval only).</param>
    public TelemetryReporter(IKubernetes kube, ITopologyValidation? validation, TimeSpan interval, Func<bool> isLeader, ILogger log, TimeProvider time, IEtcdBroker? store = null)
    {
        _store = store;
        _kube = kube;
        _validation = validation;
        _interval = interval;
        _isLeader = isLeader;
        _log = log;
        _time = time;
    }

    /// <summary>Rounds completed (report written).</summary>
    public long Rounds { get; private set; }

    /// <summary>
    /// Quiet time after a topology change before the round runs (changes come in bursts: a node's pods, a
    /// Deployment; the agents wire what changed meanwhile). A round runs at the latest
    /// <see cref="MaxDebounce"/> after the first change of a burst.
    /// </summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait for a quiet <see cref="Debounce"/> once a change was seen.</summary>
    public TimeSpan MaxDebounce { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The etcd revision the topology watch started after (0 until it runs): changes from then on trigger rounds.</summary>
    public long WatchingAfter { get; private set; }

    /// <summary>True for the etcd keys a validation round reads (SPEC §1.4): k8s nodes, Contiv node IDs, pods.</summary>
    /// <param name="key">An etcd key.</param>
    /// <returns>True when a change of it should trigger a round.</returns>
    public static bool IsTopologyKey(string key) =>
        key.StartsWith(Keys.NodePrefix, StringComparison.Ordinal)
        || key.StartsWith(Keys.VppNodePrefix, StringComparison.Ordinal)
        || key.StartsWith(Keys.PodPrefix, StringComparison.Ordinal);

    /// <summary>Asks for a round (after <see cref="Debounce"/>), as a topology change does.</summary>
    public void Trigger() => _changes.Writer.TryWrite(true);

    /// <summary>Runs rounds while leading — after topology changes, and at the latest every interval — until cancelled.</summary>
    /// <param name="ct">Stops the loop.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        if (_validation is null || _interval <= TimeSpan.Zero)
        {
            return;
        }

        var watch = _store is null ? Task.CompletedTask : Task.Run(() => WatchTopologyAsync(_store, ct), CancellationToken.None);
        try
        {
            while (true)
            {
                if (await WaitForChangeOrIntervalAsync(ct).ConfigureAwait(false))
                {
                    await DebounceAsync(ct).ConfigureAwait(false);
                }

                if (!_isLeader())
                {
                    continue;
                }

                try
                {
                    await RunOnceAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or InvalidOperationException)
                {
                    LogRoundFailed(_log, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }

        await watch.ConfigureAwait(false);
    }

    /// <summary>Waits for a change (true) or for the interval to pass (false).</summary>
    private async Task<bool> WaitForChangeOrIntervalAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tick = Task.Delay(_interval, _time, stop.Token);
        var change = _changes.Reader.WaitToReadAsync(stop.Token).AsTask();
        var first = await Task.WhenAny(tick, change).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return first == change && change.IsCompletedSuccessfully && _changes.Reader.TryRead(out _);
    }

    /// <summary>Waits until no change came for <see cref="Debounce"/> (at most <see cref="MaxDebounce"/>).</summary>
    private async Task DebounceAsync(CancellationToken ct)
    {
        var start = _time.GetTimestamp();
        do
        {
            await Task.Delay(Debounce, _time, ct).ConfigureAwait(false);
        }
        while (_changes.Reader.TryRead(out _) && _time.GetElapsedTime(start) < MaxDebounce);
    }

    /// <summary>Watches the topology records (one watch on KSR's prefix) and triggers a round on every change.</summary>
    private async Task WatchTopologyAsync(IEtcdBroker store, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await store.WaitConnectedAsync(ct).ConfigureAwait(false);
                var from = await store.GetRevisionAsync(ct).ConfigureAwait(false);
                WatchingAfter = from;
                await foreach (var e in store.WatchAsync(Keys.KsrPrefix, from + 1, ct).ConfigureAwait(false))
                {
                    if (IsTopologyKey(e.Key))
                    {
                        Trigger();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e)
            {
                // Compaction, a reset etcd or an error: a round sees the current state; watch again from now.
                LogWatchEnded(_log, e.Message);
                Trigger();
                try
                {
                    await Task.Delay(Debounce, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Runs one validation round now and writes the report.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The report's status.</returns>
    /// <exception cref="InvalidOperationException">There is no validation.</exception>
    public async Task<JsonObject> RunOnceAsync(CancellationToken ct)
    {
        var validation = _validation ?? throw new InvalidOperationException("contiv-crd has no topology validation");
        await _oneAtATime.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var status = await validation.RunAsync(ct).ConfigureAwait(false);
            await WriteAsync(status, ct).ConfigureAwait(false);
            Rounds++;
            return status;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task WriteAsync(JsonObject status, CancellationToken ct)
    {
        var kind = CrdKind.TelemetryReport;
        // JSON Patch "add" replaces the whole status: a merge patch would keep the reports of nodes that left.
        var patch = new V1Patch(new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/status", ["value"] = status.DeepClone() }).ToJsonString(), V1Patch.PatchType.JsonPatch);
        try
        {
            await _kube.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, kind.Group, kind.Version, ReportNamespace, kind.Plural, ReportName, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            var report = new JsonObject
            {
                ["apiVersion"] = kind.ApiVersion,
                ["kind"] = kind.Kind,
                ["metadata"] = new JsonObject { ["name"] = ReportName, ["namespace"] = ReportNamespace },
                ["spec"] = new JsonObject { ["report_polling_period_seconds"] = (long)_interval.TotalSeconds },
            };
            await _kube.CustomObjects.CreateNamespacedCustomObjectAsync(report, kind.Group, kind.Version, ReportNamespace, kind.Plural, cancellationToken: ct).ConfigureAwait(false);
            await _kube.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, kind.Group, kind.Version, ReportNamespace, kind.Plural, ReportName, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "topology validation round failed: {Reason}")]
    private static partial void LogRoundFailed(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "topology watch ended ({Reason}): a round now, watching again")]
    private static partial void LogWatchEnded(ILogger log, string reason);
}
