using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Contiv.Hosting;

/// <summary>What a probe answers: whether the daemon passes it, and the JSON body (none when null).</summary>
/// <param name="Ok">True: 200; false: 503 (Kubernetes restarts on a failed liveness, withholds traffic on readiness).</param>
/// <param name="Body">Serialised as JSON; null writes no body.</param>
public readonly record struct ProbeReport(bool Ok, object? Body);

/// <summary>The <c>/liveness</c> and <c>/readiness</c> endpoints every Contiv daemon serves (Contiv's paths, SPEC §5).</summary>
public static class ProbeEndpoints
{
    /// <summary>Maps <c>GET /liveness</c> and <c>GET /readiness</c>; each asks its function at every request.</summary>
    /// <param name="app">The daemon's endpoints.</param>
    /// <param name="liveness">Answers the liveness probe.</param>
    /// <param name="readiness">Answers the readiness probe.</param>
    /// <returns><paramref name="app"/>, for chaining.</returns>
    public static IEndpointRouteBuilder MapProbes(this IEndpointRouteBuilder app, Func<ProbeReport> liveness, Func<ProbeReport> readiness)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(liveness);
        ArgumentNullException.ThrowIfNull(readiness);
        // RequestDelegates, not Delegate handlers: those are bound by reflection (not under NativeAOT).
        app.MapGet("/liveness", (RequestDelegate)(context => Answer(liveness()).ExecuteAsync(context)));
        app.MapGet("/readiness", (RequestDelegate)(context => Answer(readiness()).ExecuteAsync(context)));
        return app;
    }

    private static IResult Answer(ProbeReport report)
    {
        var status = report.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return report.Body switch
        {
            null => Results.StatusCode(status),
            // A plain string needs no reflection (contiv-vpp, published NativeAOT, answers "live"/"ready").
            string text => Results.Text(JsonSerializer.Serialize(text, HostingJson.Default.String), "application/json; charset=utf-8", statusCode: status),
            var body => Reflected(body, status),
        };
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Object bodies come from the JIT-compiled daemons (KSR, contiv-crd, contiv-stn); the NativeAOT contiv-vpp passes strings.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above.")]
    private static IResult Reflected(object body, int status) => Results.Json(body, statusCode: status);
}

/// <summary>Source-generated JSON for what the shared hosting code writes without reflection.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class HostingJson : JsonSerializerContext
{
}
