using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Graph;

/// <summary>Per-thread rate limiters (owned by the thread like the rest of the context: no locks).</summary>
public sealed partial class WorkerContext
{
    private IcmpErrorRateLimiter? _icmpErrors;

    /// <summary>This thread's ICMP error token bucket.</summary>
    internal IcmpErrorRateLimiter IcmpErrors
        => _icmpErrors ??= new IcmpErrorRateLimiter(_dp.Options.Clock, _dp.Options.IcmpErrorsPerSecond, _dp.Options.IcmpErrorBurst);
}
