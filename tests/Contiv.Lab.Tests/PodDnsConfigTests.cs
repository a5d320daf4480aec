using Contiv.Lab.Kubelet;
using Contiv.Lab.Kubelet.Cri;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>
/// A pod's resolver settings from its <c>dnsPolicy</c>/<c>dnsConfig</c>: the same computation gives the process runner's
/// resolv.conf and the CRI sandbox's <c>dns_config</c> (which containerd turns into the pod's resolv.conf).
/// </summary>
public sealed class PodDnsConfigTests
{
    private static readonly KubeletOptions Options = new()
    {
        NodeName = "node1", NodeNetns = "cl-node1", HostIp = "192.168.16.1", Kubeconfig = "/dev/null", CniConfDir = "/tmp",
        CniBinPath = "/tmp", StateDir = "/tmp", PodNetnsPrefix = "cl-", ClusterDns = "10.96.0.10", ClusterDomain = "cluster.local",
    };

    private static V1Pod Pod(string ns, string? policy = null, bool hostNetwork = false, V1PodDNSConfig? dnsConfig = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = ns },
        Spec = new V1PodSpec { DnsPolicy = policy, HostNetwork = hostNetwork, DnsConfig = dnsConfig, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    [Fact]
    public void ClusterFirst_gives_the_sandbox_the_cluster_dns_the_namespace_search_path_and_ndots_5()
    {
        var dns = CriPodWorker.SandboxDns(Pod("team"), Options);

        Assert.NotNull(dns);
        Assert.Equal(["10.96.0.10"], dns.Servers);
        Assert.Equal(["team.svc.cluster.local", "svc.cluster.local", "cluster.local"], dns.Searches);
        Assert.Equal(["ndots:5"], dns.Options);
    }

    [Fact]
    public void The_sandbox_config_and_the_process_runners_resolv_conf_say_the_same()
    {
        var pod = Pod("default", dnsConfig: new V1PodDNSConfig
        {
            Nameservers = ["1.1.1.1"],
            Searches = ["example.org"],
            Options = [new V1PodDNSConfigOption { Name = "ndots", Value = "2" }, new V1PodDNSConfigOption { Name = "edns0" }],
        });

        var text = PodDnsConfig.Render(pod, Options.ClusterDns, Options.ClusterDomain);
        var dns = CriPodWorker.SandboxDns(pod, Options)!;

        Assert.Equal(
            "search default.svc.cluster.local svc.cluster.local cluster.local example.org\nnameserver 10.96.0.10\nnameserver 1.1.1.1\noptions ndots:2 edns0\n",
            text);
        Assert.Equal(["10.96.0.10", "1.1.1.1"], dns.Servers);
        Assert.Equal(["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "example.org"], dns.Searches);
        Assert.Equal(["ndots:2", "edns0"], dns.Options);
    }

    [Theory]
    [InlineData("Default", false)]
    [InlineData("ClusterFirst", true)]
    public void Default_and_host_network_ClusterFirst_keep_the_nodes_file(string policy, bool hostNetwork)
    {
        // No dns_config: containerd copies the node's resolv.conf, as the process runner mounts nothing.
        Assert.Null(CriPodWorker.SandboxDns(Pod("default", policy, hostNetwork), Options));
        Assert.Null(PodDnsConfig.Render(Pod("default", policy, hostNetwork), Options.ClusterDns, Options.ClusterDomain));
    }

    [Fact]
    public void ClusterFirstWithHostNet_and_None_follow_the_policy()
    {
        var hostNet = CriPodWorker.SandboxDns(Pod("kube-system", "ClusterFirstWithHostNet", hostNetwork: true), Options)!;
        Assert.Equal(["10.96.0.10"], hostNet.Servers);
        Assert.Equal("kube-system.svc.cluster.local", hostNet.Searches[0]);

        var none = CriPodWorker.SandboxDns(Pod("default", "None", dnsConfig: new V1PodDNSConfig { Nameservers = ["9.9.9.9"] }), Options)!;
        Assert.Equal(["9.9.9.9"], none.Servers);
        Assert.Empty(none.Searches);
        Assert.Empty(none.Options);
    }

    [Fact]
    public void Without_cluster_dns_the_sandbox_keeps_the_nodes_resolver()
    {
        var options = new KubeletOptions
        {
            NodeName = "n", NodeNetns = "n", HostIp = "1.2.3.4", Kubeconfig = "/dev/null", CniConfDir = "/tmp", CniBinPath = "/tmp",
            StateDir = "/tmp", PodNetnsPrefix = "cl-",
        };
        Assert.Null(CriPodWorker.SandboxDns(Pod("default"), options));
    }

    [Fact]
    public void Only_pods_running_the_lab_binary_go_to_the_process_runner_under_a_CRI_runtime()
    {
        Assert.False(KubeletService.RunsLabBinary(Pod("default")));
        var dnsPod = Pod("kube-system");
        dnsPod.Spec.Containers[0].Image = Contiv.Lab.Lab.LabBinaries.Image;
        Assert.True(KubeletService.RunsLabBinary(dnsPod));
    }
}
