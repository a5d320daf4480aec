namespace Contiv.Deploy.Tests;

/// <summary>contiv-etcd as SPEC.md §7 describes it: client 12379, NodePort 32379, /var/etcd/contiv-data.</summary>
public sealed class EtcdTests
{
    [Fact]
    public void Etcd_listens_on_12379_with_its_data_on_the_node_and_a_32379_node_port()
    {
        var objects = Rendered.Of("base");
        var etcd = objects.Single("StatefulSet", "contiv-etcd");
        var container = Workloads.Container(etcd, "contiv-etcd");
        var args = container.CommandLine;
        Assert.Equal("/usr/bin/etcd", args[0]);
        Assert.Contains("--listen-client-urls=http://0.0.0.0:12379", args);
        Assert.Contains("--data-dir=/var/etcd/contiv-data", args);
        Assert.Contains("--listen-metrics-urls=http://127.0.0.1:12381", args);
        Assert.Equal("/health", Yaml.Text(container.Node, "livenessProbe.httpGet.path"));
        Assert.Equal("12381", Yaml.Text(container.Node, "livenessProbe.httpGet.port"));
        Assert.Equal("/var/etcd", Yaml.Text(Workloads.Volumes(etcd)[container.Mounts["/var/etcd"]], "hostPath.path"));
        Assert.Equal("true", Yaml.Text(Workloads.PodSpec(etcd), "hostNetwork"));

        var service = objects.Single("Service", "contiv-etcd");
        Assert.Equal("NodePort", service.Text("spec.type"));
        var port = Yaml.Items(service.Root, "spec.ports").Single();
        Assert.Equal("12379", Yaml.Text(port, "targetPort"));
        Assert.Equal("32379", Yaml.Text(port, "nodePort"));
    }

    [Fact]
    public void Components_find_etcd_at_the_configured_endpoint()
    {
        Assert.Equal("http://127.0.0.1:12379", Rendered.Of("base").Single("ConfigMap", "contiv-endpoints").Data("etcd"));
        Assert.Equal("http://127.0.0.1:32379", Rendered.Of("overlays/dev").Single("ConfigMap", "contiv-endpoints").Data("etcd"));
        foreach (var name in new[] { "contiv-ksr", "contiv-crd" })
        {
            Assert.Contains("--etcd-endpoints=$(ETCD_ENDPOINTS)", Workloads.Container(Rendered.Of("base").Single("Deployment", name), name).CommandLine);
        }
    }
}
