using System.Net.Http.Headers;
using System.Text;
using Contiv.Ui.Config;
using Contiv.Ui.Hosting;
using Contiv.Ui.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Contiv.Ui.Tests;

/// <summary>contiv-ui's real host on 127.0.0.1 (any free port), talking to a fake Kubernetes API through a kubeconfig.</summary>
internal sealed class UiUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KubeUpstream _kube;
    private readonly string _kubeconfig;

    private UiUnderTest(WebApplication app, KubeUpstream kube, string kubeconfig, Uri url)
    {
        _app = app;
        _kube = kube;
        _kubeconfig = kubeconfig;
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Url { get; }

    public HttpClient Http { get; }

    public static async Task<UiUnderTest> StartAsync(Uri kubeApi, Func<UiConfig, UiConfig>? configure = null)
    {
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"contiv-ui-test-{Guid.NewGuid():N}.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: fake, cluster: {"{"}server: "{kubeApi.ToString().TrimEnd('/')}"{"}"}{"}"}]
            users: [{"{"}name: fake, user: {"{"}token: test-token{"}"}{"}"}]
            contexts: [{"{"}name: fake, context: {"{"}cluster: fake, user: fake{"}"}{"}"}]
            current-context: fake
            """);
        var config = new UiConfig { Address = "127.0.0.1", Port = 0, UpstreamTimeout = TimeSpan.FromSeconds(1), WebRoot = "/nonexistent-contiv-ui-www" };
        config = configure?.Invoke(config) ?? config;
        var kube = KubeUpstream.FromKubeconfig(kubeconfig);
        var app = UiHost.Build(config, kube, LogLevel.Warning);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new UiUnderTest(app, kube, kubeconfig, new Uri(address + "/"));
    }

    public static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _kube.Dispose();
        File.Delete(_kubeconfig);
    }
}
