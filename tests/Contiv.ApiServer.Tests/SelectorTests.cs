using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Selectors;
using k8s;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>Selector parsing and matching, and deletecollection with a selector.</summary>
public sealed class SelectorTests
{
    private static JsonObject Labels(string json) => JsonNode.Parse(json)!.AsObject();

    [Theory]
    [InlineData("app=web", """{"app":"web"}""", true)]
    [InlineData("app==web", """{"app":"db"}""", false)]
    [InlineData("app!=web", """{}""", true)]
    [InlineData("tier in (a, b),env", """{"tier":"b","env":""}""", true)]
    [InlineData("tier notin (a)", """{"tier":"a"}""", false)]
    [InlineData("!env", """{"env":"x"}""", false)]
    [InlineData("n>5", """{"n":"6"}""", true)]
    [InlineData("n<5", """{"n":"6"}""", false)]
    [InlineData("example.com/role=edge", """{"example.com/role":"edge"}""", true)]
    [InlineData("", """{"x":"y"}""", true)]
    public void Label_selector_matches_like_kubernetes(string selector, string labels, bool expected)
        => Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels(labels)));

    [Theory]
    [InlineData("a=(b")]
    [InlineData("-bad=x")]
    [InlineData("a in (b")]
    [InlineData("n>x")]
    [InlineData("a=b,,c=d")]
    public void Bad_label_selectors_are_400(string selector)
        => Assert.Equal(400, Assert.Throws<ApiException>(() => LabelSelector.Parse(selector)).Code);

    [Fact]
    public void Field_selector_supports_escapes_inequality_and_rejects_unknown_fields()
    {
        var pods = new ResourceCatalog().Find(string.Empty, "v1", "pods")!;
        var pod = JsonNode.Parse("""{"metadata":{"name":"a,b","namespace":"ns"},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}}""")!.AsObject();
        Assert.True(FieldSelector.Parse(@"metadata.name=a\,b,spec.nodeName==n1", pods).Matches(pod, pods));
        Assert.False(FieldSelector.Parse("status.phase!=Running", pods).Matches(pod, pods));
        Assert.True(FieldSelector.Parse("spec.hostNetwork=false", pods).Matches(pod, pods));
        var e = Assert.Throws<ApiException>(() => FieldSelector.Parse("spec.containers=x", pods));
        Assert.Equal("field label not supported: spec.containers", e.Message);
    }

    [Fact]
    public async Task Delete_collection_removes_only_the_selected_objects()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("a", new Dictionary<string, string> { ["batch"] = "1" }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("b", new Dictionary<string, string> { ["batch"] = "1" }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("c"), "default");
        await client.CoreV1.DeleteCollectionNamespacedPodAsync("default", labelSelector: "batch=1");
        Assert.Equal(["c"], (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Select(p => p.Metadata.Name));
    }
}
