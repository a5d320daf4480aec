using System.Net;
using System.Text.Json.Nodes;
using Contiv.Crd.Definitions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Contiv.Crd.Telemetry;

/// <summary>
/// Runs the topology validation every interval while leading and writes the result into the
/// status of the TelemetryReport <c>default/default-telemetry</c> (created when missing, with
/// <c>spec.report_polling_period_seconds</c>). Nothing runs without a validation or with interval 0.
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

    /// <summary>Creates the reporter.</summary>
    /// <param name="kube">Kubernetes client.</param>
    /// <param name="validation">The validation, or null.</param>
    /// <param name="interval">Time between rounds; zero disables them.</param>
    /// <param name="isLeader">True while this instance may write.</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the interval.</param>
    public TelemetryReporter(IKubernetes kube, ITopologyValidation? validation, TimeSpan interval, Func<bool> isLeader, ILogger log, TimeProvider time)
    {
        _kube = kube;
        _validation = validation;
        _interval = interval;
        _isLeader = isLeader;
        _log = log;
        _time = time;
    }

    /// <summary>Rounds completed (report written).</summary>
    public long Rounds { get; private set; }

    /// <summary>Runs a round every interval while leading, until cancelled.</summary>
    /// <param name="ct">Stops the loop.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        if (_validation is null || _interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
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
}
