using System.Net;
using System.Text.Json;

namespace Contiv.Ui.Tests;

/// <summary>The Kubernetes API does not answer: clear 502s, never a 500 with a stack trace.</summary>
public sealed class UnreachableApiTests
{
    [Fact]
    public async Task A_dead_api_server_gives_502_for_kubernetes_and_for_vswitch_requests()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        await using var ui = await UiUnderTest.StartAsync(new Uri($"http://127.0.0.1:{port}/"));

        using var pods = await ui.Http.GetAsync("api/k8s/api/v1/pods");
        Assert.Equal(HttpStatusCode.BadGateway, pods.StatusCode);
        var podsError = JsonDocument.Parse(await pods.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
        Assert.Contains($"Kubernetes API http://127.0.0.1:{port}/", podsError, StringComparison.Ordinal);
        Assert.Contains("ConnectionRefused", podsError, StringComparison.Ordinal);

        using var ipam = await ui.Http.GetAsync("api/contiv/contiv/v1/ipam?vswitch=127.0.0.1");
        Assert.Equal(HttpStatusCode.BadGateway, ipam.StatusCode);
        Assert.Contains("cannot check vswitch 127.0.0.1 against the cluster's nodes", await ipam.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
