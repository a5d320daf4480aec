using YamlDotNet.RepresentationModel;

namespace Contiv.Deploy.Tests;

/// <summary>
/// The contiv.conf ConfigMap carries every knob of SPEC.md §7 at its shipped default, plus the
/// controller.conf and service.conf knobs the agent reads (docs/agent.md), and nothing else.
/// </summary>
public sealed class ContivConfTests
{
    /// <summary>Knob (dotted path) → shipped default, as written in the YAML.</summary>
    private static readonly Dictionary<string, string> Defaults = new(StringComparer.Ordinal)
    {
        ["nodeToNodeTransport"] = "vxlan",
        ["useSRv6ForServices"] = "false",
        ["useSRv6ForServiceFunctionChaining"] = "false",
        ["useDX6ForSrv6NodetoNodeTransport"] = "false",
        ["useTAPInterfaces"] = "true",
        ["tapInterfaceVersion"] = "2",
        ["tapv2RxRingSize"] = "256",
        ["tapv2TxRingSize"] = "256",
        ["enableGSO"] = "true",
        ["vmxnet3RxRingSize"] = "1024",
        ["vmxnet3TxRingSize"] = "1024",
        ["interfaceRxMode"] = "default",
        ["tcpChecksumOffloadDisabled"] = "true",
        ["mtuSize"] = "1450",
        ["stealFirstNIC"] = "false",
        ["stealInterface"] = "",
        ["stnSocketFile"] = "/var/run/contiv/stn.sock",
        ["STNVersion"] = "2",
        ["natExternalTraffic"] = "true",
        ["scanIPNeighbors"] = "true",
        ["ipNeighborScanInterval"] = "1",
        ["ipNeighborStaleThreshold"] = "4",
        ["enablePacketTrace"] = "false",
        ["routeServiceCIDRToVPP"] = "false",
        ["crdNodeConfigurationDisabled"] = "true",
        ["mainVRFID"] = "0",
        ["podVRFID"] = "1",
        ["ipamConfig.useExternalIPAM"] = "false",
        ["ipamConfig.contivCIDR"] = "",
        ["ipamConfig.serviceCIDR"] = "10.96.0.0/12",
        ["ipamConfig.nodeInterconnectDHCP"] = "false",
        ["ipamConfig.podSubnetCIDR"] = "10.1.0.0/16",
        ["ipamConfig.podSubnetOneNodePrefixLen"] = "24",
        ["ipamConfig.vppHostSubnetCIDR"] = "172.30.0.0/16",
        ["ipamConfig.vppHostSubnetOneNodePrefixLen"] = "24",
        ["ipamConfig.nodeInterconnectCIDR"] = "192.168.16.0/24",
        ["ipamConfig.vxlanCIDR"] = "192.168.30.0/24",
        ["ipamConfig.defaultGateway"] = "",
        // controller.conf: the original's shipped values (SPEC §7: periodic healing off, 30 s when turned on);
        // stuckEventLimit is this agent's own knob (docs/agent.md).
        ["controller.enableRetry"] = "true",
        ["controller.delayRetry"] = "1s",
        ["controller.maxRetryAttempts"] = "3",
        ["controller.enableExpBackoffRetry"] = "true",
        ["controller.startupResyncDeadline"] = "30s",
        ["controller.enablePeriodicHealing"] = "false",
        ["controller.periodicHealingInterval"] = "30s",
        ["controller.stuckEventLimit"] = "2m",
        ["controller.delayAfterErrorHealing"] = "5s",
        ["controller.remoteDBProbingInterval"] = "3s",
        ["controller.recordEventHistory"] = "true",
        ["controller.eventHistoryAgeLimit"] = "60",
        ["controller.permanentlyRecordedInitPeriod"] = "10",
        // service.conf
        ["service.cleanupIdleNATSessions"] = "true",
        ["service.tcpNATSessionTimeout"] = "180",
        ["service.otherNATSessionTimeout"] = "5",
        ["service.serviceLocalEndpointWeight"] = "1",
        ["service.disableNATVirtualReassembly"] = "false",
    };

    /// <summary>The knobs the dev overlay (the lab) sets differently, with its values.</summary>
    private static readonly Dictionary<string, string> LabValues = new(StringComparer.Ordinal)
    {
        ["routeServiceCIDRToVPP"] = "true",
    };

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/single-nic")]
    public void Every_knob_is_present_with_its_shipped_default(string kustomization)
    {
        var conf = ContivConf(kustomization);
        foreach (var (path, value) in Defaults)
        {
            var node = Yaml.At(conf, path);
            Assert.True(node is YamlScalarNode, $"{kustomization}: contiv.conf has no knob {path}");
            Assert.True(value == ((YamlScalarNode)node).Value, $"{kustomization}: contiv.conf {path} is '{((YamlScalarNode)node).Value}', expected '{value}'");
        }

        Assert.Empty(Yaml.Items(conf, "nodeConfig"));
        Assert.True(Yaml.At(conf, "nodeConfig") is YamlSequenceNode, $"{kustomization}: contiv.conf has no nodeConfig list");
    }

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/single-nic")]
    [InlineData("overlays/dev")]
    public void Contiv_conf_holds_no_unknown_key(string kustomization)
    {
        // A misspelt knob would be ignored by the agent and silently leave the code default in force.
        var known = Defaults.Keys.ToHashSet(StringComparer.Ordinal);
        known.Add("nodeConfig");
        foreach (var path in ScalarPaths(ContivConf(kustomization), prefix: null))
        {
            Assert.True(known.Contains(path), $"{kustomization}: contiv.conf has a key no table knows: {path}");
        }
    }

    [Fact]
    public void Dev_overlay_changes_only_the_lab_knobs_and_names_the_lab_nodes()
    {
        var conf = ContivConf("overlays/dev");
        foreach (var (path, value) in Defaults)
        {
            var expected = LabValues.GetValueOrDefault(path, value);
            Assert.True(expected == Yaml.Text(conf, path), $"dev: contiv.conf {path} is '{Yaml.Text(conf, path)}', expected '{expected}'");
        }

        var nodes = Yaml.Items(conf, "nodeConfig");
        Assert.Equal(["node1", "node2", "node3"], nodes.Select(n => Yaml.Text(n, "nodeName")));
        for (var i = 0; i < nodes.Count; i++)
        {
            Assert.Equal("data0", Yaml.Text(nodes[i], "mainVPPInterface.interfaceName"));
            Assert.Equal($"192.168.16.{i + 1}/24", Yaml.Text(nodes[i], "mainVPPInterface.ip"));
        }
    }

    [Fact]
    public void Single_nic_overlay_turns_on_stealFirstNIC_for_contiv_init_and_the_agent()
    {
        var vswitch = Rendered.Of("overlays/single-nic").Single("DaemonSet", "contiv-vswitch");
        var env = Workloads.Container(vswitch, "contiv-vswitch").Env;
        Assert.Equal("true", env.GetValueOrDefault("CONTIV_stealFirstNIC"));
        Assert.DoesNotContain("CONTIV_stealFirstNIC", Workloads.Container(Rendered.Of("base").Single("DaemonSet", "contiv-vswitch"), "contiv-vswitch").Env.Keys);
    }

    private static YamlMappingNode ContivConf(string kustomization)
    {
        var map = Rendered.Of(kustomization).Single("ConfigMap", "contiv-agent-cfg");
        var text = map.Data("contiv.conf");
        Assert.False(string.IsNullOrEmpty(text), $"{kustomization}: ConfigMap contiv-agent-cfg has no contiv.conf");
        return Yaml.Document(text);
    }

    private static IEnumerable<string> ScalarPaths(YamlMappingNode map, string? prefix)
    {
        foreach (var (key, value) in map.Children)
        {
            var path = prefix is null ? ((YamlScalarNode)key).Value! : prefix + "." + ((YamlScalarNode)key).Value;
            if (value is YamlMappingNode child)
            {
                foreach (var p in ScalarPaths(child, path))
                {
                    yield return p;
                }
            }
            else
            {
                yield return path;
            }
        }
    }
}
