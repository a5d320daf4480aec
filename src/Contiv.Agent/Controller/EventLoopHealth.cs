namespace Contiv.Agent.Controller;

/// <summary>
/// The health inputs of the loop beyond its own state: whether the data plane can be reached (readiness) and
/// whether the loop thread still makes progress (liveness), so probes tell a node that cannot serve pods.
/// </summary>
internal sealed partial class EventLoop
{
    private volatile string? _downstreamProblem;
    private volatile EventRecord? _processing;
    private long _processingSinceTicks;

    /// <summary>
    /// Why the downstream (data plane) cannot be configured now, e.g. "data plane at … not reachable"; null when it
    /// answers. Set by the data plane watcher; readiness is false while it is set.
    /// </summary>
    public string? DownstreamProblem => _downstreamProblem;

    /// <summary>Records that the data plane stopped answering (<paramref name="problem"/>) or answers again (null).</summary>
    public void SetDownstreamProblem(string? problem) => _downstreamProblem = problem;

    /// <summary>Why the loop counts as stuck (an event processing beyond the limit, or its thread gone); null when it progresses.</summary>
    public string? StuckDetail()
    {
        if (_thread is { IsAlive: false } && !_stop.IsCancellationRequested)
        {
            return "event loop thread ended";
        }

        var current = _processing;
        if (current is null)
        {
            return null;
        }

        var since = new DateTimeOffset(Interlocked.Read(ref _processingSinceTicks), TimeSpan.Zero);
        var busy = _time.GetUtcNow() - since;
        return busy > _config.StuckEventLimit
            ? $"event #{current.SeqNum} ({current.Description}) has been processing for {busy.TotalSeconds:F0}s (limit {_config.StuckEventLimit.TotalSeconds:F0}s)"
            : null;
    }

    private void BeginProcessing(EventRecord record)
    {
        Interlocked.Exchange(ref _processingSinceTicks, record.ProcessingStart.UtcTicks);
        _processing = record;
    }

    private void EndProcessing() => _processing = null;
}
