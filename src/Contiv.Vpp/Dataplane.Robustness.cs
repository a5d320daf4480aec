using System.Diagnostics;
using Contiv.Vpp.Graph;
using Microsoft.Extensions.Logging;

namespace Contiv.Vpp;

/// <summary>Node failure reporting: a node that throws costs its vector, is counted, and is logged at most once per interval.</summary>
public sealed partial class Dataplane
{
    // Per node: Stopwatch timestamp of the last failure log, and failures since (suppressed).
    private long[]? _nodeFailureLogged;
    private long[]? _nodeFailuresSuppressed;

    /// <summary>Node failures contained so far on every thread (tests; per-node counts are in show errors).</summary>
    public long NodeFailures
    {
        get
        {
            long n = 0;
            foreach (var ctx in Contexts)
            {
                n += ctx.NodeFailures;
            }

            return n;
        }
    }

    /// <summary>
    /// Turns the unicast reverse-path check (<c>ip4-source-check</c>) on or off for an interface: packets
    /// whose source address is not routed back through this interface are dropped and counted.
    /// </summary>
    public void SetSourceCheck(Interfaces.SwInterface intf, bool enable)
        => SetFeature(intf, FeatureArcs.Ip4UnicastName, Ip4.Ip4SourceCheckNode.NodeName, enable);

    /// <summary>True when the reverse-path check is on for the interface.</summary>
    public bool SourceCheck(Interfaces.SwInterface intf)
        => EnabledFeatures(intf, FeatureArcs.Ip4UnicastName).Contains(Ip4.Ip4SourceCheckNode.NodeName);

    /// <summary>
    /// Logs a contained node failure: the first one of a node at once, later ones at most once per
    /// <see cref="DataplaneOptions.NodeFailureLogInterval"/> with the number suppressed in between (a
    /// packet that triggers a bug can be sent at line rate; the log must not become the next outage).
    /// </summary>
    internal void ReportNodeFailure(WorkerContext ctx, GraphNode node, int rxSwIfIndex, int dropped, Exception e)
    {
        var n = Graph.Nodes.Count;
        var logged = LazyInitializer.EnsureInitialized(ref _nodeFailureLogged, () => new long[n]);
        var suppressed = LazyInitializer.EnsureInitialized(ref _nodeFailuresSuppressed, () => new long[n]);
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref logged[node.Index]);
        var interval = (long)(Options.NodeFailureLogInterval.TotalSeconds * Stopwatch.Frequency);
        if (last != 0 && now - last < interval || Interlocked.CompareExchange(ref logged[node.Index], now, last) != last)
        {
            Interlocked.Increment(ref suppressed[node.Index]);
            return;
        }

        var skipped = Interlocked.Exchange(ref suppressed[node.Index], 0);
        var intf = (uint)rxSwIfIndex < (uint)InterfaceArray.Length ? InterfaceArray[rxSwIfIndex]?.DevName : null;
        _log.LogError(e, "node {Node} failed on {Thread} (rx interface {Interface}): {Dropped} packets dropped and counted as '{Reason}'; {Suppressed} failures of this node not logged since the last report",
            node.Name, ctx.Name, intf ?? $"sw_if_index {rxSwIfIndex}", dropped, GraphNode.ExceptionReason, skipped);
    }
}
