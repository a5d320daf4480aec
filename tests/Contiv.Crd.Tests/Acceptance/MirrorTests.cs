using Contiv.Crd.Definitions;

namespace Contiv.Crd.Tests.Acceptance;

/// <summary>Each kind round-trips create → etcd key with the exact value → update → delete (SPEC §1.4).</summary>
public sealed class MirrorTests
{
    private const string K = "/vnf-agent/contiv-ksr/k8s/";

    [Fact]
    public async Task NodeConfig_is_mirrored_under_its_node_name_and_follows_updates_and_deletion()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.NodeConfig, """
            {"apiVersion":"nodeconfig.contiv.vpp/v1","kind":"NodeConfig","metadata":{"name":"node-1"},
             "spec":{"mainVPPInterface":{"interfaceName":"GigabitEthernet0/8/0","ip":"192.168.16.1/24"},
                     "otherVPPInterfaces":[{"interfaceName":"eth1","useDHCP":true}],
                     "gateway":"192.168.16.100","natExternalTraffic":true}}
            """);
        var key = K + "nodeconfig/node-1";
        await lab.WaitForValueAsync(key, """{"node_name":"node-1","main_vpp_interface":{"interface_name":"GigabitEthernet0/8/0","ip":"192.168.16.1/24"},"other_vpp_interfaces":[{"interface_name":"eth1","use_dhcp":true}],"gateway":"192.168.16.100","nat_external_traffic":true}""");

        await lab.PatchAsync(CrdKind.NodeConfig, "node-1", """{"spec":{"gateway":"192.168.16.200","otherVPPInterfaces":null,"natExternalTraffic":false}}""");
        await lab.WaitForValueAsync(key, """{"node_name":"node-1","main_vpp_interface":{"interface_name":"GigabitEthernet0/8/0","ip":"192.168.16.1/24"},"gateway":"192.168.16.200"}""");

        await lab.DeleteAsync(CrdKind.NodeConfig, "node-1");
        await lab.WaitForNoKeyAsync(key);
    }

    [Fact]
    public async Task CustomNetwork_is_mirrored_with_its_type_and_subnet()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.CustomNetwork, """
            {"apiVersion":"contivpp.io/v1","kind":"CustomNetwork","metadata":{"name":"net1"},
             "spec":{"type":"L3","subnetCIDR":"10.100.0.0/16","subnetOneNodePrefixLen":24}}
            """);
        var key = K + "customnetwork/net1";
        await lab.WaitForValueAsync(key, """{"name":"net1","type":"L3","subnetCIDR":"10.100.0.0/16","subnet_one_node_prefix":24}""");

        await lab.PatchAsync(CrdKind.CustomNetwork, "net1", """{"spec":{"type":"L2","subnetCIDR":null,"subnetOneNodePrefixLen":null}}""");
        await lab.WaitForValueAsync(key, """{"name":"net1"}""");

        await lab.DeleteAsync(CrdKind.CustomNetwork, "net1");
        await lab.WaitForNoKeyAsync(key);
    }

    [Fact]
    public async Task ExternalInterface_is_mirrored_with_its_node_interfaces()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.ExternalInterface, """
            {"apiVersion":"contivpp.io/v1","kind":"ExternalInterface","metadata":{"name":"ext1"},
             "spec":{"type":"L2","network":"net1","nodes":[{"node":"k8s-master","vppInterfaceName":"GigabitEthernet0/a/0","vlan":200}]}}
            """);
        var key = K + "external-interface/ext1";
        await lab.WaitForValueAsync(key, """{"name":"ext1","network":"net1","nodes":[{"node":"k8s-master","vpp_interface_name":"GigabitEthernet0/a/0","vlan":200}]}""");

        await lab.PatchAsync(CrdKind.ExternalInterface, "ext1", """{"spec":{"type":"L3","nodes":[{"node":"k8s-worker1","vppInterfaceName":"GigabitEthernet0/a/0","ip":"10.10.1.1/24"}]}}""");
        await lab.WaitForValueAsync(key, """{"name":"ext1","type":"L3","network":"net1","nodes":[{"node":"k8s-worker1","vpp_interface_name":"GigabitEthernet0/a/0","ip":"10.10.1.1/24"}]}""");

        await lab.DeleteAsync(CrdKind.ExternalInterface, "ext1");
        await lab.WaitForNoKeyAsync(key);
    }

    [Fact]
    public async Task ServiceFunctionChain_is_mirrored_with_its_functions()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.ServiceFunctionChain, """
            {"apiVersion":"contivpp.io/v1","kind":"ServiceFunctionChain","metadata":{"name":"chain1"},
             "spec":{"network":"net1","chain":[
               {"name":"f1","type":"Pod","podSelector":{"app":"cnf1"},"interface":"tap1"},
               {"name":"f2","type":"ExternalInterface","interface":"ext1"}]}}
            """);
        var key = K + "servicefunctionchain/chain1";
        await lab.WaitForValueAsync(key, """{"name":"chain1","network":"net1","chain":[{"name":"f1","pod_selector":{"app":"cnf1"},"interface":"tap1"},{"name":"f2","type":"ExternalInterface","interface":"ext1"}]}""");

        await lab.PatchAsync(CrdKind.ServiceFunctionChain, "chain1", """{"spec":{"unidirectional":true}}""");
        await lab.WaitForValueAsync(key, """{"name":"chain1","unidirectional":true,"network":"net1","chain":[{"name":"f1","pod_selector":{"app":"cnf1"},"interface":"tap1"},{"name":"f2","type":"ExternalInterface","interface":"ext1"}]}""");

        await lab.DeleteAsync(CrdKind.ServiceFunctionChain, "chain1");
        await lab.WaitForNoKeyAsync(key);
    }

    [Fact]
    public async Task CustomConfiguration_items_become_agent_config_keys_and_removed_items_are_deleted()
    {
        await using var lab = await CrdLab.StartAsync();
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.CustomConfiguration, """
            {"apiVersion":"contivpp.io/v1","kind":"CustomConfiguration","metadata":{"name":"cnf-config"},
             "spec":{"microservice":"cnf1","configItems":[
               {"module":"vpp","type":"interfaces","version":"v2","data":"name: loop1\ntype: SOFTWARE_LOOPBACK\nenabled: true\nip_addresses:\n- 10.0.0.1/24\n"},
               {"module":"vpp","type":"route","microservice":"cnf2","data":"dst_network: 10.1.0.0/16\nnext_hop_addr: 10.0.0.2\noutgoing_interface: loop1\n"},
               {"module":"vpp.l2","type":"bridge-domain","version":"v2","name":"bd1","data":"learn: true\n"}]}}
            """);
        var loop = "/vnf-agent/cnf1/config/vpp/v2/interfaces/loop1";
        var route = "/vnf-agent/cnf2/config/vpp/v2/route/vrf/0/dst/10.1.0.0/16/gw/10.0.0.2";
        var bd = "/vnf-agent/cnf1/config/vpp/l2/v2/bridge-domain/bd1";
        await lab.WaitForValueAsync(loop, """{"name":"loop1","type":"SOFTWARE_LOOPBACK","enabled":true,"ip_addresses":["10.0.0.1/24"]}""");
        await lab.WaitForValueAsync(route, """{"dst_network":"10.1.0.0/16","next_hop_addr":"10.0.0.2","outgoing_interface":"loop1"}""");
        await lab.WaitForValueAsync(bd, """{"learn":true}""");

        // Update: the bridge domain item goes away, the interface changes.
        await lab.PatchAsync(CrdKind.CustomConfiguration, "cnf-config", """
            {"spec":{"configItems":[
               {"module":"vpp","type":"interfaces","version":"v2","data":"name: loop1\ntype: SOFTWARE_LOOPBACK\nenabled: false\n"},
               {"module":"vpp","type":"route","microservice":"cnf2","data":"dst_network: 10.1.0.0/16\nnext_hop_addr: 10.0.0.2\noutgoing_interface: loop1\n"}]}}
            """);
        await lab.WaitForValueAsync(loop, """{"name":"loop1","type":"SOFTWARE_LOOPBACK","enabled":false}""");
        await lab.WaitForNoKeyAsync(bd);

        await lab.DeleteAsync(CrdKind.CustomConfiguration, "cnf-config");
        await lab.WaitForNoKeyAsync(loop);
        await lab.WaitForNoKeyAsync(route);
    }

    [Fact]
    public async Task CustomConfiguration_resync_leaves_keys_it_never_wrote_alone()
    {
        await using var lab = await CrdLab.StartAsync();
        var foreign = "/vnf-agent/node-1/config/vpp/v2/interfaces/foreign";
        await lab.Reader.PutAsync(foreign, """{"name":"foreign"}""");
        await lab.StartCrdAsync();
        await lab.CreateAsync(CrdKind.CustomConfiguration, """
            {"apiVersion":"contivpp.io/v1","kind":"CustomConfiguration","metadata":{"name":"c"},
             "spec":{"microservice":"node-1","configItems":[{"module":"vpp","type":"interfaces","version":"v2","data":"name: mine\n"}]}}
            """);
        await lab.WaitForValueAsync("/vnf-agent/node-1/config/vpp/v2/interfaces/mine", """{"name":"mine"}""");
        Assert.Equal("""{"name":"foreign"}""", (await lab.Reader.GetAsync(foreign))?.Value);
    }
}
