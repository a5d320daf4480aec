namespace Contiv.Vpp.Ip4;

/// <summary>
/// Token bucket for ICMP errors, one per thread (owned by its <see cref="Graph.WorkerContext"/>, so no
/// locking): <see cref="Burst"/> errors at once, refilled at <see cref="PerSecond"/>. A pod sending at
/// line rate to unreachable or TTL-expiring destinations gets a bounded trickle of errors back instead
/// of making the data plane generate one packet per packet. The clock is injected (tests).
/// </summary>
internal sealed class IcmpErrorRateLimiter(TimeProvider clock, int perSecond, int burst)
{
    private double _tokens = burst;
    private long _last = clock.GetTimestamp();

    /// <summary>Errors allowed per second (sustained).</summary>
    public int PerSecond { get; } = perSecond;

    /// <summary>Errors allowed back to back.</summary>
    public int Burst { get; } = burst;

    /// <summary>Takes a token; false when the bucket is empty (the error is not sent).</summary>
    public bool TryTake()
    {
        var now = clock.GetTimestamp();
        var elapsed = (double)(now - _last) / clock.TimestampFrequency;
        _last = now;
        _tokens = Math.Min(Burst, _tokens + (elapsed * PerSecond));
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
