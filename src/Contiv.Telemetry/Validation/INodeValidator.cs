using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Validation;

/// <summary>One validator of SPEC §1.4; reports its findings with its <see cref="Prefix"/>.</summary>
internal interface INodeValidator
{
    /// <summary>Report-line prefix, e.g. <c>IP-ARP</c>.</summary>
    string Prefix { get; }

    /// <summary>Checks one node that has data (<see cref="Collection.NodeTelemetry.HasData"/>).</summary>
    void Validate(ValidationContext node, ReportBuilder report);
}
