using System.Collections;
using Contiv.Agent.Config;
using Contiv.Store;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Config;

/// <summary>The NodeConfig CRD record overriding contiv.conf's per-node section (real etcd).</summary>
public sealed class CrdNodeConfigTests
{
    private const string Conf = """
        crdNodeConfigurationDisabled: false
        ipamConfig:
          defaultGateway: 192.168.16.254
        nodeConfig:
        - nodeName: node-1
          mainVPPInterface:
            interfaceName: eth0
            ip: 192.168.16.1/24
          gateway: 192.168.16.100
        """;

    [Fact]
    public async Task The_crd_record_in_etcd_replaces_the_files_entry_for_this_node()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var store = new EtcdBroker(new EtcdBrokerOptions { Endpoints = [etcd.ClientUrl] });
        await store.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-1", """{"node_name":"node-1","main_vpp_interface":{"interface_name":"eth1","ip":"192.168.16.11/24"},"gateway":"192.168.16.200"}""");

        var (record, answered) = await CrdNodeConfig.ReadAsync(store, "node-1", TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.True(answered);
        var config = ConfigLoader.Parse(Conf, new Hashtable());
        var settings = NodeSettings.For(CrdNodeConfig.Apply(config, "node-1", record), "node-1");
        Assert.Equal("eth1", settings.MainInterfaceName);
        Assert.Equal("192.168.16.11", settings.MainInterfaceIp?.Address.ToString());
        Assert.Equal("192.168.16.200", settings.DefaultGateway?.ToString());
        Assert.Single(config.NodeConfig, n => n.NodeName == "node-1");

        // No record: the file's entry stays.
        var (none, _) = await CrdNodeConfig.ReadAsync(store, "node-2", TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Null(none);
        Assert.Equal("192.168.16.100", NodeSettings.For(CrdNodeConfig.Apply(ConfigLoader.Parse(Conf, new Hashtable()), "node-1", none), "node-1").DefaultGateway?.ToString());
    }

    [Fact]
    public async Task The_watch_returns_when_this_nodes_record_changes_and_ignores_other_nodes()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var store = new EtcdBroker(new EtcdBrokerOptions { Endpoints = [etcd.ClientUrl] });
        await store.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-1", """{"node_name":"node-1","gateway":"10.0.0.1"}""");
        var (applied, _) = await CrdNodeConfig.ReadAsync(store, "node-1", TimeSpan.FromSeconds(10), CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var watch = CrdNodeConfig.WatchAsync(store, "node-1", applied, cts.Token);

        await store.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-10", """{"node_name":"node-10","gateway":"10.0.0.9"}""");
        await store.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-1", """{"node_name":"node-1","gateway":"10.0.0.1"}""");
        await Task.Delay(500);
        Assert.False(watch.IsCompleted, "an unchanged record or another node's must not count as a change");

        await store.PutAsync("/vnf-agent/contiv-ksr/k8s/nodeconfig/node-1", """{"node_name":"node-1","gateway":"10.0.0.2"}""");
        var changed = await watch;
        Assert.Equal("10.0.0.2", changed?.Gateway);
    }
}
