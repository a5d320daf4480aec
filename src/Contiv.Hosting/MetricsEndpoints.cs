using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Contiv.Hosting;

/// <summary>The Prometheus endpoints of the Contiv daemons: <c>/metrics</c>, and Contiv's <c>/stats</c> where a daemon has them.</summary>
public static class MetricsEndpoints
{
    /// <summary>Serves <paramref name="metrics"/> (default: prometheus-net's default registry) at <c>/metrics</c>
    /// and, when given, <paramref name="stats"/> at <c>/stats</c>.</summary>
    /// <param name="app">The daemon's endpoints.</param>
    /// <param name="metrics">Registry of <c>/metrics</c>; null for <see cref="Metrics.DefaultRegistry"/>.</param>
    /// <param name="stats">Registry of <c>/stats</c>; null maps no <c>/stats</c>.</param>
    /// <returns><paramref name="app"/>, for chaining.</returns>
    public static IEndpointRouteBuilder MapDaemonMetrics(this IEndpointRouteBuilder app, CollectorRegistry? metrics = null, CollectorRegistry? stats = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMetrics("/metrics", metrics);
        if (stats is not null)
        {
            app.MapMetrics("/stats", stats);
        }

        return app;
    }
}
