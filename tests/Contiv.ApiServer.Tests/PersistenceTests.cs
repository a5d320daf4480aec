using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Testing;
using k8s;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>Optional persistence in a real etcd: a restarted server serves the same objects.</summary>
public sealed class PersistenceTests
{
    private const string CrdJson = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
         "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"widgets","kind":"Widget"},
                 "versions":[{"name":"v1","served":true,"storage":true}]}}
        """;

    [Fact]
    public async Task Objects_uids_counter_crds_and_allocations_survive_a_restart_on_the_same_etcd()
    {
        await using var etcd = await EtcdServer.StartAsync();
        void Configure(LabApiServerOptions o)
        {
            o.EtcdEndpoints = [etcd.ClientUrl];
            o.EtcdPrefix = "/lab-test";
            o.ServiceCidr = "10.250.0.0/28";
        }

        string podUid;
        long rvBefore;
        var ips = new HashSet<string>();
        await using (var first = await Lab.StartAsync(Configure))
        {
            var client = Lab.Client(first);
            podUid = (await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("kept", node: "n1"), "default")).Metadata.Uid;
            for (var i = 0; i < 6; i++)
            {
                var svc = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = $"s{i}" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default");
                ips.Add(svc.Spec.ClusterIP);
            }

            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesJson.Deserialize<V1CustomResourceDefinition>(CrdJson));
            await client.CustomObjects.CreateClusterCustomObjectAsync(JsonNode.Parse("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}"""), "example.com", "v1", "widgets");
            rvBefore = first.Registry.ResourceVersion;
        }

        Assert.NotNull(await etcd.GetAsync("/lab-test/pods/default/kept"));

        await using var second = await Lab.StartAsync(Configure);
        var again = Lab.Client(second);
        var pod = await again.CoreV1.ReadNamespacedPodAsync("kept", "default");
        Assert.Equal(podUid, pod.Metadata.Uid);
        Assert.True(second.Registry.ResourceVersion >= rvBefore);
        var widget = (JsonElement)await again.CustomObjects.GetClusterCustomObjectAsync("example.com", "v1", "widgets", "w1");
        Assert.Equal(3, widget.GetProperty("spec").GetProperty("size").GetInt32());

        // A /28 has 13 dynamic addresses besides 10.250.0.1: the new ones must avoid the restored ones.
        for (var i = 6; i < 12; i++)
        {
            var svc = await again.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = $"s{i}" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default");
            Assert.True(ips.Add(svc.Spec.ClusterIP), $"{svc.Spec.ClusterIP} allocated twice");
        }

        var created = await again.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "later" } }, "default");
        Assert.True(long.Parse(created.Metadata.ResourceVersion, CultureInfo.InvariantCulture) > rvBefore);

        await again.CoreV1.DeleteNamespacedConfigMapAsync("later", "default");
        Assert.True(await Lab.EventuallyAsync(async () => await etcd.GetAsync("/lab-test/configmaps/default/later") is null));
    }

    [Fact]
    public async Task A_wiped_etcd_gets_the_whole_state_written_again_when_it_comes_back()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var server = await Lab.StartAsync(o =>
        {
            o.EtcdEndpoints = [etcd.ClientUrl];
            o.EtcdPrefix = "/lab-wipe";
        });
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p1"), "default");
        Assert.True(await Lab.EventuallyAsync(async () => await etcd.GetAsync("/lab-wipe/pods/default/p1") is not null));

        await etcd.WipeAsync();
        Assert.Null(await etcd.GetAsync("/lab-wipe/pods/default/p1"));
        Assert.True(await Lab.EventuallyAsync(async () => await etcd.GetAsync("/lab-wipe/pods/default/p1") is not null, TimeSpan.FromSeconds(30)), "state not rewritten after the wipe");
        Assert.NotNull(await etcd.GetAsync("/lab-wipe/namespaces/default"));
        Assert.NotNull(await etcd.GetAsync("/lab-wipe/resourceVersion"));
    }
}
