using System.Net;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Patching;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>JSON merge, strategic merge and JSON patches, through the client and on the patch engines directly.</summary>
public sealed class PatchTests
{
    private static V1Pod TwoContainers() => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", Labels = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container { Name = "app", Image = "app:1", Env = [new V1EnvVar { Name = "X", Value = "1" }], Ports = [new V1ContainerPort { ContainerPort = 80 }] },
                new V1Container { Name = "side", Image = "side:1" },
            ],
        },
    };

    [Fact]
    public async Task Strategic_merge_merges_containers_by_name_and_env_by_name()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(TwoContainers(), "default");
        var patch = """{"spec":{"containers":[{"name":"app","image":"app:2","env":[{"name":"Y","value":"2"}]}]}}""";
        var pod = await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), "p", "default");
        Assert.Equal(["app", "side"], pod.Spec.Containers.Select(c => c.Name));
        Assert.Equal("app:2", pod.Spec.Containers[0].Image);
        Assert.Equal(["X", "Y"], pod.Spec.Containers[0].Env.Select(e => e.Name));
        Assert.Equal(80, pod.Spec.Containers[0].Ports[0].ContainerPort);
    }

    [Fact]
    public async Task Merge_patch_replaces_lists_and_null_deletes_keys()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(TwoContainers(), "default");
        var patch = """{"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"containers":[{"name":"only","image":"only:1"}]}}""";
        var pod = await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), "p", "default");
        Assert.Equal(["only"], pod.Spec.Containers.Select(c => c.Name));
        Assert.False(pod.Metadata.Labels.ContainsKey("a"));
        Assert.Equal("2", pod.Metadata.Labels["b"]);
        Assert.Equal("3", pod.Metadata.Labels["c"]);
    }

    [Fact]
    public async Task Json_patch_applies_operations_and_a_failed_test_is_422()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(TwoContainers(), "default");
        var pod = await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""[{"op":"replace","path":"/spec/containers/1/image","value":"side:2"},{"op":"remove","path":"/metadata/labels/a"}]""", V1Patch.PatchType.JsonPatch), "p", "default");
        Assert.Equal("side:2", pod.Spec.Containers[1].Image);
        Assert.False(pod.Metadata.Labels.ContainsKey("a"));
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""[{"op":"test","path":"/metadata/labels/b","value":"nope"}]""", V1Patch.PatchType.JsonPatch), "p", "default"));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
    }

    [Fact]
    public async Task Patch_with_a_stale_resource_version_is_409()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var created = await client.CoreV1.CreateNamespacedPodAsync(TwoContainers(), "default");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"z":"1"}}}""", V1Patch.PatchType.MergePatch), "p", "default");
        var stale = "{\"metadata\":{\"resourceVersion\":\"" + created.Metadata.ResourceVersion + "\",\"labels\":{\"z\":\"2\"}}}";
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedPodAsync(new V1Patch(stale, V1Patch.PatchType.MergePatch), "p", "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
    }

    [Fact]
    public async Task Strategic_merge_of_service_ports_merges_by_port_and_status_patch_changes_only_status()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "s" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "s" }, Ports = [new V1ServicePort { Port = 80, Name = "http" }] },
        }, "default");
        var svc = await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"spec":{"ports":[{"name":"https","port":443}]}}""", V1Patch.PatchType.StrategicMergePatch), "s", "default");
        Assert.Equal([80, 443], svc.Spec.Ports.Select(p => p.Port));

        var pod = await client.CoreV1.CreateNamespacedPodAsync(TwoContainers(), "default");
        var status = """{"status":{"phase":"Running","podIP":"10.1.1.9","conditions":[{"type":"Ready","status":"True"}]},"spec":{"nodeName":"ignored"}}""";
        var patched = await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(status, V1Patch.PatchType.StrategicMergePatch), "p", "default");
        Assert.Equal("10.1.1.9", patched.Status.PodIP);
        Assert.Null(patched.Spec.NodeName);
    }

    [Fact]
    public void Strategic_merge_directives_delete_replace_and_set_order()
    {
        var original = JsonNode.Parse("""{"spec":{"containers":[{"name":"a","image":"a"},{"name":"b","image":"b"},{"name":"c","image":"c"}],"tolerations":[{"key":"x"}]},"metadata":{"finalizers":["f1"]}}""")!.AsObject();
        var patch = JsonNode.Parse("""
            {"spec":{"containers":[{"name":"b","$patch":"delete"},{"name":"d","image":"d"}],
                     "$setElementOrder/containers":[{"name":"d"},{"name":"a"},{"name":"c"}],
                     "tolerations":[{"key":"y"}]},
             "metadata":{"finalizers":["f2"],"$deleteFromPrimitiveList/finalizers":["f1"]}}
            """)!.AsObject();
        var result = StrategicMergePatch.Apply(original, patch, "Pod");
        Assert.Equal("d,a,c", string.Join(',', result["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["name"])));
        Assert.Equal("""[{"key":"y"}]""", result["spec"]!["tolerations"]!.ToJsonString());
        Assert.Equal("""["f2"]""", result["metadata"]!["finalizers"]!.ToJsonString());
        Assert.DoesNotContain("$", result.ToJsonString(), StringComparison.Ordinal);

        var replaced = StrategicMergePatch.Apply(original, JsonNode.Parse("""{"spec":{"$patch":"replace","containers":[{"name":"z","image":"z"}]}}""")!.AsObject(), "Pod");
        Assert.Equal("""{"containers":[{"name":"z","image":"z"}]}""", replaced["spec"]!.ToJsonString());
    }

    [Fact]
    public void Json_merge_patch_follows_rfc7386()
    {
        var target = JsonNode.Parse("""{"a":"b","c":{"d":"e","f":"g"},"l":[1,2]}""");
        var result = JsonMergePatch.Apply(target, JsonNode.Parse("""{"a":"z","c":{"f":null},"l":[3]}"""));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":"z","c":{"d":"e"},"l":[3]}"""), result));
    }
}
