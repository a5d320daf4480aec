namespace Contiv.Deploy.Tests;

/// <summary>The vSwitch DaemonSet: every node, host namespaces, privileged, node-critical, CNI install.</summary>
public sealed class VswitchDaemonSetTests
{
    public static TheoryData<string> Kustomizations => ["base", "overlays/single-nic", "overlays/dev"];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Runs_privileged_in_the_host_namespaces_on_every_node_as_node_critical(string kustomization)
    {
        var ds = Rendered.Of(kustomization).Single("DaemonSet", "contiv-vswitch");
        var pod = Workloads.PodSpec(ds);
        Assert.Equal("true", Yaml.Text(pod, "hostNetwork"));
        Assert.Equal("true", Yaml.Text(pod, "hostPID"));
        Assert.Equal("system-node-critical", Yaml.Text(pod, "priorityClassName"));
        Assert.Equal("true", Yaml.Text(Workloads.Container(ds, "contiv-vswitch").Node, "securityContext.privileged"));

        // A toleration with operator Exists and no key tolerates every taint: control-plane, NotReady
        // (the node is NotReady until its CNI works), NoExecute, custom taints.
        Assert.Contains(Yaml.Items(pod, "tolerations"), t =>
            Yaml.Text(t, "operator") == "Exists" && Yaml.Text(t, "key") is null && Yaml.Text(t, "effect") is null);
        Assert.Null(Yaml.At(pod, "nodeSelector"));
        Assert.Null(Yaml.At(pod, "affinity"));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Init_container_installs_into_the_hosts_cni_directories(string kustomization)
    {
        var ds = Rendered.Of(kustomization).Single("DaemonSet", "contiv-vswitch");
        var install = Workloads.Containers(ds).Single(c => c.IsInit);
        var volumes = Workloads.Volumes(ds);
        string HostPathAt(string mountPath)
        {
            Assert.True(install.Mounts.TryGetValue(mountPath, out var volume), $"{install} mounts nothing at {mountPath}");
            return Yaml.Text(volumes[volume], "hostPath.path") ?? $"(volume {volume} is not a hostPath)";
        }

        var args = install.CommandLine;
        Assert.Equal("/etc/cni/net.d", HostPathAt(ArgAfter(args, "--conf-dir")));
        Assert.Equal("/opt/cni/bin", HostPathAt(ArgAfter(args, "--bin-dir")));
        Assert.Equal("/opt/contiv/bin/contiv-cni", ArgAfter(args, "--binary"));
        Assert.Equal(install.Image, Workloads.Container(ds, "contiv-vswitch").Image);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Agent_probes_are_its_readiness_and_liveness_on_127_0_0_1_9999(string kustomization)
    {
        var vswitch = Workloads.Container(Rendered.Of(kustomization).Single("DaemonSet", "contiv-vswitch"), "contiv-vswitch");
        foreach (var (probe, path) in new[] { ("readinessProbe", "/readiness"), ("livenessProbe", "/liveness") })
        {
            Assert.Equal("127.0.0.1", Yaml.Text(vswitch.Node, probe + ".httpGet.host"));
            Assert.Equal("9999", Yaml.Text(vswitch.Node, probe + ".httpGet.port"));
            Assert.Equal(path, Yaml.Text(vswitch.Node, probe + ".httpGet.path"));
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Agent_gets_its_node_name_config_and_etcd_from_the_pod(string kustomization)
    {
        var objects = Rendered.Of(kustomization);
        var vswitch = Workloads.Container(objects.Single("DaemonSet", "contiv-vswitch"), "contiv-vswitch");
        Assert.Equal("spec.nodeName", Yaml.Text(Yaml.Items(vswitch.Node, "env").Single(e => Yaml.Text(e, "name") == "MICROSERVICE_LABEL"), "valueFrom.fieldRef.fieldPath"));
        Assert.Equal("/etc/contiv/contiv.conf", vswitch.Env["CONTIV_CONFIG"]);
        Assert.Equal("contiv-agent-cfg", Yaml.Text(Workloads.Volumes(objects.Single("DaemonSet", "contiv-vswitch"))[vswitch.Mounts["/etc/contiv"]], "configMap.name"));
        Assert.Equal("<from configMapKeyRef>", vswitch.Env["ETCD_ENDPOINTS"]);
        // The CNI socket and the pods' network namespaces are shared with the host.
        Assert.Contains("/var/run/contiv", vswitch.Mounts.Keys);
        Assert.Contains("/var/run/netns", vswitch.Mounts.Keys);
    }

    [Fact]
    public void The_conflist_written_is_the_one_in_deploy_cni()
    {
        var map = Rendered.Of("base").Single("ConfigMap", "contiv-cni-cfg");
        var shipped = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Rendered.DeployDir, "cni", "10-contiv-vpp.conflist")));
        var inMap = System.Text.Json.Nodes.JsonNode.Parse(map.Data("10-contiv-vpp.conflist")!);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(shipped, inMap), "ConfigMap contiv-cni-cfg differs from deploy/cni/10-contiv-vpp.conflist");
    }

    internal static string ArgAfter(IReadOnlyList<string> args, string option)
    {
        var i = args.ToList().IndexOf(option);
        Assert.True(i >= 0 && i + 1 < args.Count, $"no {option} VALUE in [{string.Join(' ', args)}]");
        return args[i + 1];
    }
}
