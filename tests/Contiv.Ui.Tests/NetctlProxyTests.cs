using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Contiv.Ui.Tests;

/// <summary><c>POST /api/netctl</c> → contiv-crd's <c>POST /netctl</c> (SPEC §1.9), against a fake contiv-crd on 127.0.0.1.</summary>
public sealed class NetctlProxyTests : IAsyncLifetime
{
    private readonly List<string> _crdRequests = [];
    private FakeUpstream _crd = null!;
    private FakeUpstream _kube = null!;

    public async Task InitializeAsync()
    {
        _crd = await FakeUpstream.StartAsync(app =>
        {
            app.MapPost("/netctl", async (HttpContext c) =>
            {
                using var reader = new StreamReader(c.Request.Body);
                var body = await reader.ReadToEndAsync();
                _crdRequests.Add($"{c.Request.Path} {body} auth={c.Request.Headers.Authorization}");
                using var doc = JsonDocument.Parse(body);
                return doc.RootElement[0].GetString() switch
                {
                    "nodes" => Results.Text("ID  NODE-NAME  VPP-IP\n1   node1      192.168.16.1/24\n"),
                    "slow" => await Slow(),
                    _ => Results.Text("unknown command \"bogus\"\n", statusCode: 500),
                };
            });
        });
        _kube = await FakeUpstream.StartAsync(app => app.MapGet("/api/v1/nodes", () => Results.Text("""
            {"kind":"NodeList","metadata":{"resourceVersion":"5"},"items":[
              {"metadata":{"name":"node1"},"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}]}},
              {"metadata":{"name":"node2"},"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.3"}]}}]}
            """, "application/json")));
    }

    public async Task DisposeAsync()
    {
        await _crd.DisposeAsync();
        await _kube.DisposeAsync();
    }

    private static async Task<IResult> Slow()
    {
        await Task.Delay(TimeSpan.FromSeconds(5));
        return Results.Text("late");
    }

    private static StringContent Args(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<string> ErrorOf(HttpResponseMessage r)
    {
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").GetString()!;
    }

    private Task<UiUnderTest> UiWithEndpoint(string endpoint) => UiUnderTest.StartAsync(_kube.Url, c => c with
    {
        CrdEndpoint = endpoint,
        ContivBasicAuthUser = "contiv",
        ContivBasicAuthPass = "s3cret",
    });

    [Fact]
    public async Task Arguments_reach_contiv_crd_at_its_endpoint_and_its_output_comes_back_as_printed()
    {
        await using var ui = await UiWithEndpoint(_crd.Url.ToString());
        using var body = Args("""["nodes"]""");
        using var r = await ui.Http.PostAsync("api/netctl", body);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("ID  NODE-NAME  VPP-IP\n1   node1      192.168.16.1/24\n", await r.Content.ReadAsStringAsync());
        Assert.Equal(["/netctl [\"nodes\"] auth=Basic Y29udGl2OnMzY3JldA=="], _crdRequests);
    }

    [Fact]
    public async Task A_failed_netctl_command_passes_on_its_status_and_message()
    {
        await using var ui = await UiWithEndpoint(_crd.Url.ToString());
        using var body = Args("""["bogus"]""");
        using var r = await ui.Http.PostAsync("api/netctl", body);

        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal("unknown command \"bogus\"\n", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_an_endpoint_the_master_node_address_and_contivCRDPort_name_contiv_crd()
    {
        await using var ui = await UiUnderTest.StartAsync(_kube.Url, c => c with { ContivCrdPort = _crd.Url.Port });
        using var body = Args("""["nodes"]""");
        using var r = await ui.Http.PostAsync("api/netctl?master=127.0.0.1", body);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("node1", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(_crdRequests);
    }

    [Theory]
    [InlineData("api/netctl?master=127.0.0.9", HttpStatusCode.Forbidden, "master 127.0.0.9 is not an address of a node")]
    [InlineData("api/netctl", HttpStatusCode.BadRequest, "?master= must be the IP address of the node running contiv-crd")]
    [InlineData("api/netctl?master=crd.example.com", HttpStatusCode.BadRequest, "?master= must be the IP address")]
    public async Task A_master_outside_the_node_list_is_refused_without_contacting_it(string url, HttpStatusCode status, string reason)
    {
        await using var ui = await UiUnderTest.StartAsync(_kube.Url, c => c with { ContivCrdPort = _crd.Url.Port });
        using var body = Args("""["nodes"]""");
        using var r = await ui.Http.PostAsync(url, body);

        Assert.Equal(status, r.StatusCode);
        var error = await ErrorOf(r);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Empty(_crdRequests);
    }

    [Theory]
    [InlineData("""{"args":["nodes"]}""", "found a JSON Object")]
    [InlineData("""["ipam", 2]""", "found a JSON Array")]
    [InlineData("nodes", "must be a JSON array of contiv-netctl arguments")]
    [InlineData("", "must be a JSON array of contiv-netctl arguments")]
    public async Task A_body_that_is_not_an_array_of_strings_is_refused_with_the_reason(string json, string reason)
    {
        await using var ui = await UiWithEndpoint(_crd.Url.ToString());
        using var body = Args(json);
        using var r = await ui.Http.PostAsync("api/netctl", body);

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(reason, await ErrorOf(r), StringComparison.Ordinal);
        Assert.Empty(_crdRequests);
    }

    [Fact]
    public async Task A_slow_contiv_crd_gives_504_naming_it_and_the_timeout()
    {
        await using var ui = await UiWithEndpoint(_crd.Url.ToString());
        using var body = Args("""["slow"]""");
        using var r = await ui.Http.PostAsync("api/netctl", body);

        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        var error = await ErrorOf(r);
        Assert.Contains($"contiv-crd {_crd.Url}", error, StringComparison.Ordinal);
        Assert.Contains("no answer within 1 s for POST /netctl", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_contiv_crd_that_refuses_connections_gives_502_with_the_cause()
    {
        int closed;
        using (var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            closed = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        await using var ui = await UiWithEndpoint($"http://127.0.0.1:{closed}");
        using var body = Args("""["nodes"]""");
        using var r = await ui.Http.PostAsync("api/netctl", body);

        Assert.Equal(HttpStatusCode.BadGateway, r.StatusCode);
        var error = await ErrorOf(r);
        Assert.Contains($"contiv-crd http://127.0.0.1:{closed}/", error, StringComparison.Ordinal);
        Assert.Contains("ConnectionRefused", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
