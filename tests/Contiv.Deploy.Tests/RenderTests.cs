namespace Contiv.Deploy.Tests;

/// <summary>The kustomizations render, with the object list docs/install.md shows.</summary>
public sealed class RenderTests
{
    private static readonly string[] BaseObjects =
    [
        "Namespace /contiv-system",
        "ConfigMap contiv-system/contiv-agent-cfg", "ConfigMap contiv-system/contiv-endpoints", "ConfigMap contiv-system/contiv-cni-cfg",
        "ConfigMap contiv-system/contiv-ksr-cfg", "ConfigMap contiv-system/contiv-crd-cfg", "ConfigMap contiv-system/contiv-ui-cfg",
        "StatefulSet contiv-system/contiv-etcd", "Service contiv-system/contiv-etcd",
        "ServiceAccount contiv-system/contiv-vswitch", "DaemonSet contiv-system/contiv-vswitch",
        "ServiceAccount contiv-system/contiv-ksr", "ClusterRole /contiv-ksr", "ClusterRoleBinding /contiv-ksr", "Deployment contiv-system/contiv-ksr",
        "ServiceAccount contiv-system/contiv-crd", "ClusterRole /contiv-crd", "ClusterRoleBinding /contiv-crd",
        "Role default/contiv-crd-telemetry", "RoleBinding default/contiv-crd-telemetry", "Deployment contiv-system/contiv-crd",
        "ServiceAccount contiv-system/contiv-ui", "ClusterRole /contiv-ui", "ClusterRoleBinding /contiv-ui",
        "Deployment contiv-system/contiv-ui", "Service contiv-system/contiv-ui",
    ];

    [Fact]
    public void Base_renders_exactly_the_documented_objects()
    {
        Assert.Equal(BaseObjects.Order(), Rendered.Of("base").Select(o => o.ToString()).Order());
        var install = File.ReadAllText(Path.Combine(Rendered.RepoRoot, "docs", "install.md"));
        foreach (var o in BaseObjects)
        {
            var name = o[(o.LastIndexOf('/') + 1)..];
            Assert.True(install.Contains(name, StringComparison.Ordinal), $"docs/install.md does not list {o}");
        }
    }

    [Fact]
    public void Single_nic_adds_contiv_stn_and_dev_adds_nothing()
    {
        var base_ = Rendered.Of("base").Select(o => o.ToString()).ToHashSet();
        Assert.Equal(
            ["DaemonSet contiv-system/contiv-stn", "ServiceAccount contiv-system/contiv-stn"],
            Rendered.Of("overlays/single-nic").Select(o => o.ToString()).Where(o => !base_.Contains(o)).Order());
        Assert.Equal(base_.Order(), Rendered.Of("overlays/dev").Select(o => o.ToString()).Order());
    }

    [Fact]
    public void Every_namespaced_object_is_in_contiv_system_but_the_telemetry_role()
    {
        foreach (var o in Rendered.Of("overlays/single-nic"))
        {
            if (o.Kind is "Namespace" or "ClusterRole" or "ClusterRoleBinding")
            {
                Assert.Null(o.Namespace);
            }
            else
            {
                Assert.Equal(o.Name == "contiv-crd-telemetry" ? "default" : "contiv-system", o.Namespace);
            }
        }
    }

    [Fact]
    public void Deploy_root_adds_every_crd_of_deploy_crds()
    {
        var crds = Path.Combine(Rendered.DeployDir, "crds");
        if (!Directory.Exists(crds))
        {
            return; // deploy/crds (contiv-crd's definitions) is not in this tree yet
        }

        var objects = Rendered.Of(".");
        var files = Directory.GetFiles(crds, "*.yaml").Select(f => Rendered.Parse(File.ReadAllText(f)).Single().Name).Order().ToList();
        Assert.Equal(6, files.Count);
        Assert.Equal(files, objects.Where(o => o.Kind == "CustomResourceDefinition").Select(o => o.Name).Order());
        Assert.Equal(Rendered.Of("base").Count + files.Count, objects.Count);
    }

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/single-nic")]
    [InlineData("overlays/dev")]
    public void Every_container_has_requests_and_a_memory_limit(string kustomization)
    {
        foreach (var c in Workloads.Of(Rendered.Of(kustomization)).SelectMany(Workloads.Containers))
        {
            Assert.True(Yaml.Text(c.Node, "resources.requests.cpu") is not null, $"{c}: no CPU request");
            Assert.True(Yaml.Text(c.Node, "resources.requests.memory") is not null, $"{c}: no memory request");
            Assert.True(Yaml.Text(c.Node, "resources.limits.memory") is not null, $"{c}: no memory limit");
        }
    }

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/single-nic")]
    public void Control_plane_components_run_as_non_root(string kustomization)
    {
        foreach (var name in new[] { "contiv-ksr", "contiv-crd", "contiv-ui" })
        {
            var pod = Workloads.PodSpec(Rendered.Of(kustomization).Single("Deployment", name));
            Assert.Equal("true", Yaml.Text(pod, "securityContext.runAsNonRoot"));
            Assert.NotEqual("0", Yaml.Text(pod, "securityContext.runAsUser"));
            var container = Workloads.Container(Rendered.Of(kustomization).Single("Deployment", name), name);
            Assert.Equal("false", Yaml.Text(container.Node, "securityContext.allowPrivilegeEscalation"));
            Assert.Equal(["ALL"], Yaml.Strings(container.Node, "securityContext.capabilities.drop"));
        }
    }
}
