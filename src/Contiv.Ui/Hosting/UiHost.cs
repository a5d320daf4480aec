using System.Net;
using Contiv.Hosting;
using Contiv.Ui.Config;
using Contiv.Ui.Feed;
using Contiv.Ui.Proxy;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.FileProviders;

namespace Contiv.Ui.Hosting;

/// <summary>Builds the contiv-ui web application: static page, proxies, live feed, probes.</summary>
internal static class UiHost
{
    /// <summary>The page's routes (SPEC §1.9) that all serve <c>index.html</c>.</summary>
    public static readonly string[] PageRoutes = ["/kubernetes/nodes", "/bridge-domain", "/services", "/contiv"];

    /// <summary>The application for <paramref name="config"/> (read from <paramref name="configFile"/>, whose
    /// <c>vswitchEndpoints</c> are followed when it changes) talking to <paramref name="kube"/>.</summary>
    public static WebApplication Build(UiConfig config, KubeUpstream kube, LogLevel logLevel = LogLevel.Information, string? configFile = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(kube);
        var builder = SlimHost.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddDaemonConsole(logLevel);
        var certificate = RestSecurity.LoadCertificate(new RestSecurityOptions { CertFile = config.ServerCrt, KeyFile = config.ServerKey });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(config.Address), config.Port, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        }));
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(kube);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new VswitchUpstream(config, new VswitchEndpointsSource(config, configFile, sp.GetRequiredService<ILoggerFactory>().CreateLogger("config"))));
        builder.Services.AddSingleton(sp => new ClusterNodes(kube, sp.GetRequiredService<TimeProvider>(), config.UpstreamTimeout));
        builder.Services.AddSingleton<UiProxy>();
        builder.Services.AddSingleton<KubeChangeFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KubeChangeFeed>());

        var app = builder.Build();
        // Whatever escapes a handler becomes a one-line JSON error: no stack trace reaches the browser.
        app.UseExceptionHandler(e => e.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            app.Logger.LogError(error, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await UiProxy.ErrorAsync(context, HttpStatusCode.InternalServerError, $"{context.Request.Method} {context.Request.Path}: {error?.GetType().Name}: {error?.Message}").ConfigureAwait(false);
        }));
        app.UseUiBasicAuth(config.BasicAuth);

        app.MapGet("/liveness", () => Results.Json(new { state = "OK" }));
        app.MapGet("/readiness", () => Results.Json(new { state = "OK" }));
        app.Map("/api/k8s/{**path}", (HttpContext c, string? path, UiProxy proxy) => proxy.KubeAsync(c, path));
        app.Map("/api/contiv/{**path}", (HttpContext c, string? path, UiProxy proxy) => proxy.ContivAsync(c, path));
        app.MapPost("/api/netctl", (HttpContext c, UiProxy proxy) => proxy.NetctlAsync(c));
        app.MapGet("/api/events", (HttpContext c, KubeChangeFeed feed) => EventStreamEndpoint.ServeAsync(c, feed));
        app.MapGet("/api/config", () => Results.Json(new { contivPort = config.ContivPort, resources = KubeChangeFeed.Resources }));

        var webRoot = config.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "contiv-ui-www");
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(Path.GetFullPath(webRoot));
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            foreach (var route in PageRoutes)
            {
                app.MapGet(route, () => Results.File(Path.Combine(Path.GetFullPath(webRoot), "index.html"), "text/html"));
            }
        }
        else
        {
            app.Logger.LogWarning("web assets not found in {WebRoot}: only the API is served (build them with scripts/build.sh)", webRoot);
            app.MapGet("/", () => Results.Text($"contiv-ui: web assets missing in {webRoot}; build with scripts/build.sh", statusCode: 503));
        }

        return app;
    }
}
