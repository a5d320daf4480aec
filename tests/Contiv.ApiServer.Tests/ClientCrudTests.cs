using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>CRUD through the official KubernetesClient.</summary>
public sealed class ClientCrudTests
{
    internal static V1Pod Pod(string name, IDictionary<string, string>? labels = null, string? node = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers = [new V1Container { Name = "c", Image = "busybox:1.36", Ports = [new V1ContainerPort { ContainerPort = 8080, Name = "http" }] }],
        },
    };

    [Fact]
    public async Task Create_sets_uid_timestamp_resource_version_defaults_and_pending_status()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var before = DateTime.UtcNow.AddSeconds(-1);
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.True(created.Metadata.CreationTimestamp >= before.AddSeconds(-1));
        Assert.True(long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("default", created.Metadata.NamespaceProperty);
        Assert.Equal("Always", created.Spec.RestartPolicy);
        Assert.Equal(30, created.Spec.TerminationGracePeriodSeconds);
        Assert.Equal("IfNotPresent", created.Spec.Containers[0].ImagePullPolicy);
        Assert.Equal("TCP", created.Spec.Containers[0].Ports[0].Protocol);
        Assert.Equal("Pending", created.Status.Phase);

        var got = await client.CoreV1.ReadNamespacedPodAsync("p1", "default");
        Assert.Equal(created.Metadata.Uid, got.Metadata.Uid);
        Assert.Equal(created.Metadata.ResourceVersion, got.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Resource_version_is_one_counter_across_kinds()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var pod = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        var ns = await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "n1" } });
        var node = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node1" } });
        var rvs = new[] { pod, (IMetadata<V1ObjectMeta>)ns, node }.Select(o => long.Parse(o.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(rvs[0] + 1, rvs[1]);
        Assert.Equal(rvs[1] + 1, rvs[2]);
        var list = await client.CoreV1.ListNodeAsync();
        Assert.Equal(rvs[2], long.Parse(list.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task GenerateName_gives_the_prefix_and_five_random_characters()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var pod = Pod(null!);
        pod.Metadata.GenerateName = "worker-";
        var a = await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        var b = await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        Assert.Matches("^worker-[bcdfghjklmnpqrstvwxz2456789]{5}$", a.Metadata.Name);
        Assert.NotEqual(a.Metadata.Name, b.Metadata.Name);
    }

    [Fact]
    public async Task Create_of_an_existing_name_is_409_AlreadyExists()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", e.Response.Content, StringComparison.Ordinal);
        Assert.Contains("pods \\\"p1\\\" already exists", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_409_Conflict()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        created.Metadata.Labels = new Dictionary<string, string> { ["v"] = "1" };
        var updated = await client.CoreV1.ReplaceNamespacedPodAsync(created, "p1", "default");
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        created.Metadata.Labels["v"] = "2";
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedPodAsync(created, "p1", "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("the object has been modified", e.Response.Content, StringComparison.Ordinal);
        Assert.Equal("1", (await client.CoreV1.ReadNamespacedPodAsync("p1", "default")).Metadata.Labels["v"]);
    }

    [Fact]
    public async Task Update_that_changes_nothing_keeps_the_resource_version()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        var same = await client.CoreV1.ReplaceNamespacedPodAsync(created, "p1", "default");
        Assert.Equal(created.Metadata.ResourceVersion, same.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Status_subresource_changes_only_status_and_main_writes_keep_status()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var pod = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        pod.Status = new V1PodStatus { Phase = "Running", PodIP = "10.1.1.5" };
        pod.Spec.Containers[0].Image = "ignored:1";
        var afterStatus = await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "p1", "default");
        Assert.Equal("Running", afterStatus.Status.Phase);
        Assert.Equal("busybox:1.36", afterStatus.Spec.Containers[0].Image);

        afterStatus.Status = new V1PodStatus { Phase = "Failed" };
        afterStatus.Metadata.Labels = new Dictionary<string, string> { ["a"] = "b" };
        var afterMain = await client.CoreV1.ReplaceNamespacedPodAsync(afterStatus, "p1", "default");
        Assert.Equal("Running", afterMain.Status.Phase);
        Assert.Equal("b", afterMain.Metadata.Labels["a"]);
    }

    [Fact]
    public async Task Missing_namespace_and_missing_object_are_404_NotFound()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var e1 = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "nope"));
        Assert.Equal(HttpStatusCode.NotFound, e1.Response.StatusCode);
        Assert.Contains("namespaces \\\"nope\\\" not found", e1.Response.Content, StringComparison.Ordinal);
        var e2 = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodAsync("ghost", "default"));
        Assert.Equal(HttpStatusCode.NotFound, e2.Response.StatusCode);
    }

    [Fact]
    public async Task Invalid_pod_is_422_with_the_field()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var pod = Pod("p1");
        pod.Spec.Containers[0].Image = null;
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(pod, "default"));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        Assert.Contains("spec.containers[0].image", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_returns_the_pod_and_unscheduled_pods_go_at_once()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        var deleted = await client.CoreV1.DeleteNamespacedPodAsync("p1", "default");
        Assert.Equal(created.Metadata.Uid, deleted.Metadata.Uid);
        await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodAsync("p1", "default"));
    }

    [Fact]
    public async Task Scheduled_pod_gets_a_deletion_timestamp_and_a_grace_zero_delete_removes_it()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("p1", node: "n1"), "default");
        var marked = await client.CoreV1.DeleteNamespacedPodAsync("p1", "default");
        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        Assert.Equal(30, marked.Metadata.DeletionGracePeriodSeconds);
        Assert.NotNull(await client.CoreV1.ReadNamespacedPodAsync("p1", "default"));

        var wrongUid = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = Guid.NewGuid().ToString() } };
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.DeleteNamespacedPodAsync("p1", "default", wrongUid));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);

        await client.CoreV1.DeleteNamespacedPodAsync("p1", "default", new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = created.Metadata.Uid } });
        await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodAsync("p1", "default"));
    }

    [Fact]
    public async Task Finalizers_keep_an_object_until_the_last_one_is_removed()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c1", Finalizers = ["example.com/hold"] } };
        await client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("c1", "default");
        var held = await client.CoreV1.ReadNamespacedConfigMapAsync("c1", "default");
        Assert.NotNull(held.Metadata.DeletionTimestamp);
        held.Metadata.Finalizers = [];
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(held, "c1", "default");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync("c1", "default"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_namespace_removes_its_objects()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "team");
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "team");
        await client.CoreV1.DeleteNamespaceAsync("team");
        Assert.DoesNotContain((await client.CoreV1.ListPodForAllNamespacesAsync()).Items, p => p.Metadata.NamespaceProperty == "team");
        await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync("team"));
    }

    [Fact]
    public async Task Leases_support_create_on_update_and_conflicts()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var lease = new V1Lease { Metadata = new V1ObjectMeta { Name = "ksr" }, Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15, RenewTime = DateTime.UtcNow } };
        var created = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "ksr", "kube-system");
        Assert.Equal("a", created.Spec.HolderIdentity);
        created.Spec.HolderIdentity = "b";
        var taken = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "ksr", "kube-system");
        Assert.Equal("b", taken.Spec.HolderIdentity);
        created.Spec.HolderIdentity = "c";
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "ksr", "kube-system"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
    }

    [Fact]
    public async Task Binding_sets_the_node_once()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p1"), "default");
        await client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "p1" }, Target = new V1ObjectReference { Kind = "Node", Name = "n1" } }, "p1", "default");
        Assert.Equal("n1", (await client.CoreV1.ReadNamespacedPodAsync("p1", "default")).Spec.NodeName);
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "p1" }, Target = new V1ObjectReference { Kind = "Node", Name = "n2" } }, "p1", "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
    }
}
