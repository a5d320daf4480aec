using System.Net;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Controllers;
using Contiv.ApiServer.Http;
using Contiv.ApiServer.Registry;
using Contiv.ApiServer.Resources;
using Contiv.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.ApiServer;

/// <summary>
/// The lab's Kubernetes-compatible API server, in process: HTTP on 127.0.0.1 (a free port unless one is
/// given), served to kubectl and KubernetesClient. Start with <see cref="StartAsync"/>, stop with
/// <see cref="DisposeAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var server = await LabApiServer.StartAsync(new LabApiServerOptions());
/// var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
/// </code>
/// </example>
public sealed class LabApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EndpointsController? _endpoints;
    private readonly PodTerminator _terminator;
    private readonly IAsyncDisposable? _persistence;
    private int _disposed;

    private LabApiServer(WebApplication app, ResourceRegistry registry, Uri url, EndpointsController? endpoints, PodTerminator terminator, IAsyncDisposable? persistence)
    {
        _app = app;
        Registry = registry;
        Url = url;
        _endpoints = endpoints;
        _terminator = terminator;
        _persistence = persistence;
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The store and per-kind rules, for direct use by the lab and tests (same semantics as the REST API).</summary>
    public ResourceRegistry Registry { get; }

    /// <summary>Drops the watch event history: watches from an older resourceVersion get 410 Expired.</summary>
    public void CompactHistory() => Registry.CompactHistory();

    /// <summary>Starts the server and waits until it listens.</summary>
    public static async Task<LabApiServer> StartAsync(LabApiServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var log = loggerFactory.CreateLogger("Contiv.ApiServer");
        var catalog = new ResourceCatalog();
        var registry = new ResourceRegistry(catalog, options);
        IAsyncDisposable? persistence = null;
        if (options.EtcdEndpoints is { Count: > 0 })
        {
            persistence = await Storage.EtcdPersistence.AttachAsync(registry, options, loggerFactory.CreateLogger("Contiv.ApiServer.Etcd"), cancellationToken);
        }

        EnsureNamespace(registry, "default");
        EnsureNamespace(registry, "kube-system");
        EnsureNamespace(registry, "kube-public");
        EnsureNamespace(registry, "kube-node-lease");
        registry.EnsureSystemPriorityClasses();

        if (!IPAddress.TryParse(options.ListenAddress, out var address))
        {
            throw new ArgumentException($"listen address \"{options.ListenAddress}\" is not an IP address", nameof(options));
        }

        var builder = SlimHost.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port, l => l.Protocols = HttpProtocols.Http1);
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
            k.Limits.MinResponseDataRate = null;
        });
        var app = builder.Build();
        var handler = new ApiHandler(registry, options, log, app.Lifetime.ApplicationStopping);
        app.UseWebSockets(); // pods/exec, pods/portforward
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        var port = url.Port;

        if (options.CreateKubernetesService)
        {
            EnsureKubernetesService(registry, url.Host, port);
        }

        var endpoints = options.RunEndpointsController ? new EndpointsController(registry, loggerFactory.CreateLogger("Contiv.ApiServer.Endpoints")) : null;
        var terminator = new PodTerminator(registry, log);
        var server = new LabApiServer(app, registry, url, endpoints, terminator, persistence);
        if (options.KubeconfigPath is { Length: > 0 } kubeconfig)
        {
            Kubeconfig.Write(kubeconfig, url);
        }

        log.LogInformation("lab API server listening on {Url}", url);
        return server;
    }

    private static void EnsureNamespace(ResourceRegistry registry, string name)
    {
        var type = registry.Catalog.Find(string.Empty, "v1", "namespaces")!;
        if (registry.TryGet(type, null, name) is null)
        {
            registry.Create(type, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } });
        }
    }

    private static void EnsureKubernetesService(ResourceRegistry registry, string host, int port)
    {
        var services = registry.Catalog.Find(string.Empty, "v1", "services")!;
        var endpoints = registry.Catalog.Find(string.Empty, "v1", "endpoints")!;
        if (registry.TryGet(services, "default", "kubernetes") is null)
        {
            registry.Create(services, "default", new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = "kubernetes",
                    ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
                },
                ["spec"] = new JsonObject
                {
                    ["clusterIP"] = registry.FirstServiceAddress,
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = port }),
                },
            });
        }

        var desired = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["ip"] = host }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
        });
        var current = registry.TryGet(endpoints, "default", "kubernetes");
        if (current is null)
        {
            registry.Create(endpoints, "default", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "kubernetes" },
                ["subsets"] = desired,
            });
        }
        else if (!Json.DeepEquals(current["subsets"], desired))
        {
            var next = (JsonObject)current.DeepClone();
            next["subsets"] = desired;
            registry.Update(endpoints, "default", "kubernetes", next, false, out _);
        }
    }

    /// <summary>Stops serving (open watches end), stops the controllers and flushes persistence.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (_endpoints is not null)
        {
            await _endpoints.DisposeAsync();
        }

        await _terminator.DisposeAsync();
        if (_persistence is not null)
        {
            await _persistence.DisposeAsync();
        }

        await _app.DisposeAsync();
    }
}
