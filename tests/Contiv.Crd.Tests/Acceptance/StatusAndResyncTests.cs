using System.Text.Json;
using Contiv.Crd.Definitions;
using k8s;

namespace Contiv.Crd.Tests.Acceptance;

/// <summary>Status Success/Failure on the objects, CRD registration, and mark-and-sweep after a restart.</summary>
public sealed class StatusAndResyncTests
{
    [Fact]
    public async Task Registers_every_crd_from_deploy_crds()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        var crds = await lab.Kube.ApiextensionsV1.ListCustomResourceDefinitionAsync();
        Assert.Equal(
            ["customconfigurations.contivpp.io", "customnetworks.contivpp.io", "externalinterfaces.contivpp.io", "nodeconfigs.nodeconfig.contiv.vpp", "servicefunctionchains.contivpp.io", "telemetryreports.telemetry.contiv.vpp"],
            crds.Items.Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.All(crds.Items, c => Assert.Contains(c.Status.Conditions, x => x.Type == "Established" && x.Status == "True"));
    }

    [Fact]
    public async Task A_valid_object_gets_status_Success_and_a_bad_one_Failure_naming_the_field_and_value()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.CustomNetwork, """{"apiVersion":"contivpp.io/v1","kind":"CustomNetwork","metadata":{"name":"good"},"spec":{"type":"L2"}}""");
        await lab.CreateAsync(CrdKind.CustomNetwork, """{"apiVersion":"contivpp.io/v1","kind":"CustomNetwork","metadata":{"name":"bad"},"spec":{"type":"L7"}}""");
        await WaitForStatusAsync(lab, CrdKind.CustomNetwork, "good", "Success");
        var bad = await WaitForStatusAsync(lab, CrdKind.CustomNetwork, "bad", "Failure");
        Assert.Equal("CustomNetwork default/bad: spec.type 'L7' is neither L2 nor L3", bad.GetProperty("status").GetProperty("message").GetString());
        Assert.Null(await lab.Reader.GetAsync("/vnf-agent/contiv-ksr/k8s/customnetwork/bad"));

        // Fixed: mirrored, and the status turns to Success without a message.
        await lab.PatchAsync(CrdKind.CustomNetwork, "bad", """{"spec":{"type":"L3"}}""");
        await lab.WaitForValueAsync("/vnf-agent/contiv-ksr/k8s/customnetwork/bad", """{"name":"bad","type":"L3"}""");
        var fixedStatus = await WaitForStatusAsync(lab, CrdKind.CustomNetwork, "bad", "Success");
        Assert.False(fixedStatus.GetProperty("status").TryGetProperty("message", out _));
    }

    [Fact]
    public async Task Changes_made_while_contiv_crd_was_down_are_swept_on_start()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.NodeConfig, """{"apiVersion":"nodeconfig.contiv.vpp/v1","kind":"NodeConfig","metadata":{"name":"node-1"},"spec":{"gateway":"10.0.0.1"}}""");
        await lab.CreateAsync(CrdKind.NodeConfig, """{"apiVersion":"nodeconfig.contiv.vpp/v1","kind":"NodeConfig","metadata":{"name":"node-2"},"spec":{"gateway":"10.0.0.2"}}""");
        await lab.WaitForValueAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-2", """{"node_name":"node-2","gateway":"10.0.0.2"}""");
        await lab.StopCrdsAsync();

        await lab.DeleteAsync(CrdKind.NodeConfig, "node-2");
        await lab.PatchAsync(CrdKind.NodeConfig, "node-1", """{"spec":{"gateway":"10.0.0.9"}}""");
        await lab.Reader.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/stale", """{"node_name":"stale"}""");
        await lab.Reader.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-3", "not json");

        await lab.StartCrdAsync(identity: "crd-2");
        await lab.WaitForValueAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-1", """{"node_name":"node-1","gateway":"10.0.0.9"}""");
        await lab.WaitForNoKeyAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-2");
        await lab.WaitForNoKeyAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/stale");
        await lab.WaitForNoKeyAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-3");
    }

    private static async Task<JsonElement> WaitForStatusAsync(CrdLab lab, CrdKind kind, string name, string outcome)
    {
        JsonElement last = default;
        await CrdLab.WaitUntilAsync(
            async () => (last = await lab.GetAsync(kind, name)).TryGetProperty("status", out var s) && s.TryGetProperty("status", out var o) && o.GetString() == outcome,
            () => $"{kind.Kind} {name}: {last}");
        return last;
    }
}
