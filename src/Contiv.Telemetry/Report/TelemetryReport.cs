using System.Text;

namespace Contiv.Telemetry.Report;

/// <summary>
/// The result of one validation round, shaped like the TelemetryReport CR's status (SPEC §1.4):
/// <see cref="Nodes"/> and <see cref="Reports"/> (node name → lines "<c>PREFIX: text</c>", plus the
/// <see cref="GlobalKey"/> entry whose last line is "validation OK" or "N errors found").
/// </summary>
public sealed class TelemetryReport
{
    /// <summary>Key of the cluster-wide entry in <see cref="Reports"/>.</summary>
    public const string GlobalKey = "global";

    /// <summary>The summary line of a healthy cluster.</summary>
    public const string OkSummary = "validation OK";

    /// <summary>When the round finished.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The nodes validated.</summary>
    public required IReadOnlyList<ReportNode> Nodes { get; init; }

    /// <summary>Node name (or <see cref="GlobalKey"/>) → report lines; every node has an entry, maybe empty.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Reports { get; init; }

    /// <summary>Number of errors found.</summary>
    public required int ErrorCount { get; init; }

    /// <summary>True when no error was found.</summary>
    public bool IsOk => ErrorCount == 0;

    /// <summary>"validation OK" or "N errors found".</summary>
    public string Summary => IsOk ? OkSummary : ErrorCount == 1 ? "1 error found" : $"{ErrorCount} errors found";

    /// <summary>
    /// The report as text: one "<c>node: PREFIX: text</c>" line per finding, nodes in order, then the
    /// global lines, ending with <see cref="Summary"/>.
    /// </summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (var (node, lines) in Reports)
        {
            foreach (var line in lines)
            {
                sb.Append(node).Append(": ").Append(line).Append('\n');
            }
        }

        return sb.ToString();
    }
}

/// <summary>One node of <see cref="TelemetryReport.Nodes"/> (CR field names <c>ID, IPAddr, ManIPAddr, Name</c>).</summary>
/// <param name="Id">Contiv node ID.</param>
/// <param name="IpAddr">VPP IP with prefix length.</param>
/// <param name="ManIpAddr">Management IP.</param>
/// <param name="Name">Node name.</param>
public sealed record ReportNode(uint Id, string IpAddr, string ManIpAddr, string Name);
