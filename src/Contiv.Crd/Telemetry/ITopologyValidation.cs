namespace Contiv.Crd.Telemetry;

/// <summary>
/// The seam to the topology validation (SPEC §1.4 "Telemetry"): collect every node's state from its
/// agent, run the validators and return the TelemetryReport status. contiv-crd calls it every
/// <c>validate-interval</c> minutes and writes the result into <c>default/default-telemetry</c>.
/// </summary>
internal interface ITopologyValidation
{
    /// <summary>Runs one validation round.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The report's <c>status</c> object (<c>updatedAt</c>, <c>nodes</c>, <c>reports</c>) as JSON.</returns>
    Task<System.Text.Json.Nodes.JsonObject> RunAsync(CancellationToken ct);
}
