using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>CustomResourceDefinitions and their custom resources.</summary>
public sealed class CrdTests
{
    private const string CrdYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: telemetryreports.telemetry.contiv.vpp
        spec:
          group: telemetry.contiv.vpp
          scope: Namespaced
          names:
            plural: telemetryreports
            singular: telemetryreport
            kind: TelemetryReport
            shortNames: [tr]
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        """;

    private const string CrYaml = """
        apiVersion: telemetry.contiv.vpp/v1
        kind: TelemetryReport
        metadata:
          name: report-1
        spec:
          updatePeriod: 30s
        """;

    [Fact]
    public async Task Kubectl_creates_a_crd_then_its_resources_by_file_and_short_name()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        Assert.Contains("created", kubectl.Ok("create", "-f", kubectl.File("crd.yaml", CrdYaml)), StringComparison.Ordinal);
        Assert.Contains("telemetryreport.telemetry.contiv.vpp/report-1 created", kubectl.Ok("apply", "-f", kubectl.File("cr.yaml", CrYaml)), StringComparison.Ordinal);
        Assert.Contains("report-1", kubectl.Ok("get", "tr"), StringComparison.Ordinal);
        Assert.Equal("30s", kubectl.Ok("get", "telemetryreport", "report-1", "-o", "jsonpath={.spec.updatePeriod}"));
        kubectl.File("cr.yaml", CrYaml.Replace("30s", "10s", StringComparison.Ordinal));
        Assert.Contains("configured", kubectl.Ok("apply", "-f", Path.Combine(kubectl.Dir, "cr.yaml")), StringComparison.Ordinal);
        Assert.Equal("10s", kubectl.Ok("get", "tr", "report-1", "-o", "jsonpath={.spec.updatePeriod}"));
        Assert.Equal("2", kubectl.Ok("get", "tr", "report-1", "-o", "jsonpath={.metadata.generation}"));
        Assert.Contains("deleted", kubectl.Ok("delete", "-f", Path.Combine(kubectl.Dir, "cr.yaml")), StringComparison.Ordinal);
        Assert.Contains("No resources found", kubectl.Run("get", "tr").StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Custom_objects_through_the_client_need_resource_version_on_replace_and_reject_strategic_merge()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("crd.yaml", CrdYaml));
        var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("telemetryreports.telemetry.contiv.vpp");
        Assert.Contains(crd.Status.Conditions, c => c.Type == "Established" && c.Status == "True");

        var body = JsonNode.Parse("""{"apiVersion":"telemetry.contiv.vpp/v1","kind":"TelemetryReport","metadata":{"name":"r"},"spec":{"a":1},"status":{"ignored":true}}""");
        var created = (JsonElement)await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "telemetry.contiv.vpp", "v1", "default", "telemetryreports");
        Assert.Equal(1, created.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.False(created.TryGetProperty("status", out _));

        var noRv = JsonNode.Parse("""{"apiVersion":"telemetry.contiv.vpp/v1","kind":"TelemetryReport","metadata":{"name":"r"},"spec":{"a":2}}""");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(noRv, "telemetry.contiv.vpp", "v1", "default", "telemetryreports", "r"));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);

        var strategic = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"a":3}}""", V1Patch.PatchType.StrategicMergePatch), "telemetry.contiv.vpp", "v1", "default", "telemetryreports", "r"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, strategic.Response.StatusCode);

        var status = (JsonElement)await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"ok":true}}""", V1Patch.PatchType.MergePatch), "telemetry.contiv.vpp", "v1", "default", "telemetryreports", "r");
        Assert.True(status.GetProperty("status").GetProperty("ok").GetBoolean());
        Assert.Equal(1, status.GetProperty("metadata").GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task Deleting_the_crd_removes_its_resources_and_its_api()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("crd.yaml", CrdYaml));
        kubectl.Ok("create", "-f", kubectl.File("cr.yaml", CrYaml));
        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("apis/telemetry.contiv.vpp/v1/namespaces/default/telemetryreports/report-1")).StatusCode);
        kubectl.Ok("delete", "crd", "telemetryreports.telemetry.contiv.vpp");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("apis/telemetry.contiv.vpp/v1/namespaces/default/telemetryreports")).StatusCode);
        Assert.DoesNotContain("telemetry.contiv.vpp", await http.GetStringAsync("apis"), StringComparison.Ordinal);
    }
}
