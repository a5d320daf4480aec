using Contiv.Telemetry.Collection;

namespace Contiv.Telemetry.Report;

/// <summary>Collects validator findings per node and builds the <see cref="TelemetryReport"/>.</summary>
internal sealed class ReportBuilder
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, List<string>> _lines = new(StringComparer.Ordinal);
    private int _errors;

    public ReportBuilder(ClusterSnapshot snapshot)
    {
        Snapshot = snapshot;
        foreach (var n in snapshot.Nodes)
        {
            Entry(n.Name);
        }
    }

    public ClusterSnapshot Snapshot { get; }

    /// <summary>Records an error under a node (or <see cref="TelemetryReport.GlobalKey"/>).</summary>
    public void Error(string node, string prefix, string text)
    {
        Entry(node).Add($"{prefix}: {text}");
        _errors++;
    }

    /// <summary>Records an informational line (not an error), e.g. a skipped validator.</summary>
    public void Note(string node, string prefix, string text) => Entry(node).Add($"{prefix}: {text}");

    public TelemetryReport Build(DateTimeOffset now)
    {
        var global = _lines.TryGetValue(TelemetryReport.GlobalKey, out var g) ? g : [];
        _lines.Remove(TelemetryReport.GlobalKey);
        _order.Remove(TelemetryReport.GlobalKey);
        var report = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var ordered = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        foreach (var name in _order)
        {
            ordered.Add(new(name, _lines[name]));
        }

        global.Add(_errors == 0 ? TelemetryReport.OkSummary : _errors == 1 ? "1 error found" : $"{_errors} errors found");
        ordered.Add(new(TelemetryReport.GlobalKey, global));
        return new TelemetryReport
        {
            UpdatedAt = now,
            Nodes = [.. Snapshot.Nodes.Select(n => new ReportNode(n.Id, n.VppIp, n.ManagementIp, n.Name))],
            Reports = new OrderedReports(ordered),
            ErrorCount = _errors,
        };
    }

    private List<string> Entry(string node)
    {
        if (!_lines.TryGetValue(node, out var list))
        {
            list = [];
            _lines[node] = list;
            _order.Add(node);
        }

        return list;
    }
}
