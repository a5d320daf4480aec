using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Contiv.Ui.Tests;

/// <summary>The proxies of SPEC §1.9 against fake upstreams on 127.0.0.1.</summary>
public sealed class ProxyTests : IAsyncLifetime
{
    private readonly List<string> _agentRequests = [];
    private readonly List<string> _kubeRequests = [];
    private FakeUpstream _agent = null!;
    private FakeUpstream _kube = null!;
    private UiUnderTest _ui = null!;

    public async Task InitializeAsync()
    {
        _agent = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/contiv/v1/ipam", (HttpContext c) =>
            {
                _agentRequests.Add($"{c.Request.Path}{c.Request.QueryString} auth={c.Request.Headers.Authorization}");
                return Results.Json(new { nodeId = 1, podSubnetThisNode = "10.1.1.0/24" });
            });
            app.MapGet("/slow", async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                return Results.Ok();
            });
            app.MapGet("/dump/vpp/v2/interfaces", () => Results.Json(new { error = "data plane unreachable at /run/vpp/api.sock" }, statusCode: 503));
            app.MapPost("/vpp/command", async (HttpContext c) =>
            {
                using var doc = await JsonDocument.ParseAsync(c.Request.Body);
                return Results.Json($"ran: {doc.RootElement.GetProperty("vppclicommand").GetString()}");
            });
        });
        _kube = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/api/v1/nodes", () => Results.Text("""
                {"kind":"NodeList","metadata":{"resourceVersion":"5"},"items":[
                  {"metadata":{"name":"node1"},"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"},{"type":"Hostname","address":"127.0.0.77"}]}},
                  {"metadata":{"name":"node2"},"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.3"}]}}]}
                """, "application/json"));
            app.MapGet("/api/v1/pods", (HttpContext c) =>
            {
                // The live feed lists (limit=1) and watches pods too: only the proxied requests count here.
                if (c.Request.Query["limit"] != "1" && c.Request.Query["watch"].Count == 0)
                {
                    _kubeRequests.Add($"{c.Request.Path}{c.Request.QueryString} auth={c.Request.Headers.Authorization}");
                }

                return Results.Json(new { kind = "PodList", items = Array.Empty<object>() });
            });
        });
        var closed = ClosedPort();
        _ui = await UiUnderTest.StartAsync(_kube.Url, c => c with
        {
            ContivBasicAuthUser = "contiv",
            ContivBasicAuthPass = "s3cret",
            VswitchEndpoints = new(StringComparer.Ordinal) { ["127.0.0.1"] = _agent.Url.ToString(), ["127.0.0.3"] = $"http://127.0.0.1:{closed}" },
        });
    }

    public async Task DisposeAsync()
    {
        await _ui.DisposeAsync();
        await _agent.DisposeAsync();
        await _kube.DisposeAsync();
    }

    private static int ClosedPort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<string> ErrorOf(HttpResponseMessage r)
    {
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task Kubernetes_paths_and_queries_reach_the_api_server_with_the_kubeconfig_token()
    {
        using var r = await _ui.Http.GetAsync("api/k8s/api/v1/pods?labelSelector=app%3Dweb&limit=5");

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("PodList", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(["/api/v1/pods?labelSelector=app%3Dweb&limit=5 auth=Bearer test-token"], _kubeRequests);
    }

    [Fact]
    public async Task Contiv_paths_reach_the_node_agent_without_the_vswitch_parameter_and_with_its_credentials()
    {
        using var r = await _ui.Http.GetAsync("api/contiv/contiv/v1/ipam?vswitch=127.0.0.1&x=1");

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("10.1.1.0/24", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(["/contiv/v1/ipam?x=1 auth=Basic Y29udGl2OnMzY3JldA=="], _agentRequests);
    }

    [Fact]
    public async Task Cli_commands_are_posted_to_the_agent()
    {
        using var body = new StringContent("""{"vppclicommand":"show interface"}""", System.Text.Encoding.UTF8, "application/json");
        using var r = await _ui.Http.PostAsync("api/contiv/vpp/command?vswitch=127.0.0.1", body);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("\"ran: show interface\"", await r.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("127.0.0.9")]    // not a node at all
    [InlineData("127.0.0.77")]   // a node's Hostname entry, not one of its IPs
    public async Task Addresses_outside_the_node_list_are_refused_without_contacting_them(string vswitch)
    {
        using var r = await _ui.Http.GetAsync($"api/contiv/contiv/v1/ipam?vswitch={vswitch}");

        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        var error = await ErrorOf(r);
        Assert.Contains($"vswitch {vswitch} is not an address of a node", error, StringComparison.Ordinal);
        Assert.Contains("node1 127.0.0.1", error, StringComparison.Ordinal);
        Assert.Empty(_agentRequests);
    }

    [Theory]
    [InlineData("api/contiv/contiv/v1/ipam", "?vswitch= must be a node's IP address")]
    [InlineData("api/contiv/contiv/v1/ipam?vswitch=evil.example.com", "?vswitch= must be a node's IP address")]
    [InlineData("api/contiv/contiv%2F..%2Fx?vswitch=127.0.0.1", "'..' segments are not allowed")]
    [InlineData("api/k8s/api%2Fv1%2Fpods", "encoded '/'")]
    [InlineData("api/k8s/", "no upstream path given")]
    public async Task Bad_paths_and_parameters_are_refused_with_the_reason(string url, string reason)
    {
        using var r = await _ui.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(reason, await ErrorOf(r), StringComparison.Ordinal);
        Assert.Empty(_agentRequests);
    }

    [Fact]
    public async Task A_slow_agent_gives_504_naming_the_vswitch_and_the_timeout()
    {
        using var r = await _ui.Http.GetAsync("api/contiv/slow?vswitch=127.0.0.1");

        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        var error = await ErrorOf(r);
        Assert.Contains("vswitch 127.0.0.1 (node1", error, StringComparison.Ordinal);
        Assert.Contains("no answer within 1 s", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_that_refuses_connections_gives_502_with_the_cause()
    {
        using var r = await _ui.Http.GetAsync("api/contiv/contiv/v1/ipam?vswitch=127.0.0.3");

        Assert.Equal(HttpStatusCode.BadGateway, r.StatusCode);
        var error = await ErrorOf(r);
        Assert.Contains("vswitch 127.0.0.3 (node2", error, StringComparison.Ordinal);
        Assert.Contains("ConnectionRefused", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_error_is_passed_on_with_its_status_and_message()
    {
        using var r = await _ui.Http.GetAsync("api/contiv/dump/vpp/v2/interfaces?vswitch=127.0.0.1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal("data plane unreachable at /run/vpp/api.sock", await ErrorOf(r));
    }
}
