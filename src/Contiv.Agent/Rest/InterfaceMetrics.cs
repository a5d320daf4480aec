using Contiv.Agent.Dataplane;
using Contiv.Agent.IpNet;
using Contiv.Model.Vpp;
using Prometheus;

namespace Contiv.Agent.Rest;

/// <summary>
/// Interface counters as Prometheus gauges with labels node, interfaceName, podName, podNamespace
/// ("--" for non-pod interfaces), refreshed from the data plane on every scrape.
/// </summary>
internal sealed class InterfaceMetrics
{
    private static readonly string[] Labels = ["node", "interfaceName", "podName", "podNamespace"];
    private readonly AgentContext _ctx;
    private readonly DataplaneConnection _dataplane;
    private readonly Dictionary<string, Gauge> _gauges = [];
    private readonly HashSet<string[]> _seen = new(LabelComparer.Instance);

    /// <summary>Registers the gauges in <paramref name="registry"/>.</summary>
    public InterfaceMetrics(AgentContext ctx, DataplaneConnection dataplane, CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _ctx = ctx;
        _dataplane = dataplane;
        var factory = Metrics.WithCustomRegistry(registry);
        foreach (var name in new[] { "inPackets", "outPackets", "inBytes", "outBytes", "dropPackets", "puntPackets", "ipv4Packets", "ipv6Packets", "inNobufPackets", "inMissPackets", "inErrorPackets", "outErrorPackets" })
        {
            _gauges[name] = factory.CreateGauge(name, $"interface counter {name}", Labels);
        }

        registry.AddBeforeCollectCallback(async ct => await RefreshAsync(ct).ConfigureAwait(false));
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        InterfaceStatsReply stats;
        try
        {
            stats = await _dataplane.Client.DumpInterfaceStatsAsync(new Empty(), _dataplane.Options(ct)).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException)
        {
            return; // data plane down: keep the last values
        }

        var pods = new Dictionary<string, PodManager.LocalPod>(StringComparer.Ordinal);
        foreach (var p in AgentContext.Snapshot(() => _ctx.LocalPods.Values))
        {
            pods[IpNetConfig.PodTapName(p.ContainerId)] = p;
        }
        var now = new HashSet<string[]>(LabelComparer.Instance);
        foreach (var i in stats.Interfaces)
        {
            var name = i.Name.Length > 0 ? i.Name : i.DevName;
            var pod = pods.GetValueOrDefault(name);
            string[] labels = [_ctx.NodeName, name, pod?.Name ?? "--", pod?.Namespace ?? "--"];
            now.Add(labels);
            _gauges["inPackets"].WithLabels(labels).Set(i.RxPackets);
            _gauges["outPackets"].WithLabels(labels).Set(i.TxPackets);
            _gauges["inBytes"].WithLabels(labels).Set(i.RxBytes);
            _gauges["outBytes"].WithLabels(labels).Set(i.TxBytes);
            _gauges["dropPackets"].WithLabels(labels).Set(i.Drops);
            _gauges["inErrorPackets"].WithLabels(labels).Set(i.RxErrors);
            _gauges["outErrorPackets"].WithLabels(labels).Set(i.TxErrors);
            foreach (var zero in new[] { "puntPackets", "ipv4Packets", "ipv6Packets", "inNobufPackets", "inMissPackets" })
            {
                _gauges[zero].WithLabels(labels).Set(0);
            }
        }

        // Interfaces that disappeared (deleted pods) lose their series.
        foreach (var old in _seen.Where(l => !now.Contains(l)).ToList())
        {
            foreach (var g in _gauges.Values)
            {
                g.RemoveLabelled(old);
            }

            _seen.Remove(old);
        }

        _seen.UnionWith(now);
    }

    private sealed class LabelComparer : IEqualityComparer<string[]>
    {
        public static LabelComparer Instance { get; } = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(string[] obj) => string.Join('\u0001', obj).GetHashCode(StringComparison.Ordinal);
    }
}
