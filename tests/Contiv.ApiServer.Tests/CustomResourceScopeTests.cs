using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>Cluster-scoped custom resources, kubectl watches and printer columns of custom resources.</summary>
public sealed class CustomResourceScopeTests
{
    private const string ClusterCrdYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.contiv.io
        spec:
          group: example.contiv.io
          scope: Cluster
          names:
            plural: widgets
            singular: widget
            kind: Widget
            shortNames: [wd]
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            additionalPrinterColumns:
            - {name: Size, type: integer, jsonPath: .spec.size}
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        """;

    [Fact]
    public async Task Cluster_scoped_custom_resources_are_served_without_a_namespace_with_their_status_subresource()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("crd.yaml", ClusterCrdYaml));

        var body = JsonNode.Parse("""{"apiVersion":"example.contiv.io/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}""");
        await client.CustomObjects.CreateClusterCustomObjectAsync(body, "example.contiv.io", "v1", "widgets");
        var read = (JsonElement)await client.CustomObjects.GetClusterCustomObjectAsync("example.contiv.io", "v1", "widgets", "w1");
        Assert.False(read.GetProperty("metadata").TryGetProperty("namespace", out _));

        var status = (JsonElement)await client.CustomObjects.PatchClusterCustomObjectStatusAsync(new V1Patch("""{"status":{"phase":"Ready"}}""", V1Patch.PatchType.MergePatch), "example.contiv.io", "v1", "widgets", "w1");
        Assert.Equal("Ready", status.GetProperty("status").GetProperty("phase").GetString());
        Assert.Equal(3, status.GetProperty("spec").GetProperty("size").GetInt32());

        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("apis/example.contiv.io/v1/namespaces/default/widgets/w1")).StatusCode);
        Assert.Contains("\"widgets\"", await http.GetStringAsync("apis/example.contiv.io/v1"), StringComparison.Ordinal);

        Assert.Equal("w1", kubectl.Ok("get", "wd", "-o", "jsonpath={.items[*].metadata.name}"));
        Assert.Matches(@"(?m)^w1\s", kubectl.Ok("get", "widgets"));
        Assert.Contains("Ready", kubectl.Ok("get", "widget", "w1", "-o", "jsonpath={.status.phase}"), StringComparison.Ordinal);
        Assert.Contains("widgets.example.contiv.io", kubectl.Ok("get", "crd"), StringComparison.Ordinal);

        kubectl.Ok("delete", "widget", "w1");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.GetClusterCustomObjectAsync("example.contiv.io", "v1", "widgets", "w1"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Kubectl_watches_custom_resources()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("crd.yaml", ClusterCrdYaml));
        using var watch = kubectl.Start("get", "widgets", "-w", "--output-watch-events");
        await Task.Delay(1000);
        var path = kubectl.File("w.yaml", "apiVersion: example.contiv.io/v1\nkind: Widget\nmetadata:\n  name: w2\nspec:\n  size: 1\n");
        kubectl.Ok("apply", "-f", path);
        Assert.True(Lab.Eventually(() => watch.Output.Contains("ADDED", StringComparison.Ordinal) && watch.Output.Contains("w2", StringComparison.Ordinal)), watch.Output);
        kubectl.Ok("apply", "-f", kubectl.File("w.yaml", "apiVersion: example.contiv.io/v1\nkind: Widget\nmetadata:\n  name: w2\nspec:\n  size: 2\n"));
        Assert.True(Lab.Eventually(() => watch.Output.Contains("MODIFIED", StringComparison.Ordinal)), watch.Output);
        kubectl.Ok("delete", "-f", path);
        Assert.True(Lab.Eventually(() => watch.Output.Contains("DELETED", StringComparison.Ordinal)), watch.Output);
        Assert.False(watch.HasExited, watch.Output);
    }
}
