using System.Collections;
using Contiv.Agent.Config;

namespace Contiv.Agent.Tests.Config;

public class ConfigLoaderTests
{
    [Fact]
    public void Empty_config_yields_spec_defaults()
    {
        var c = ConfigLoader.Parse(null, new Hashtable());
        Assert.Equal("vxlan", c.NodeToNodeTransport);
        Assert.Equal(1450u, c.MtuSize);
        Assert.True(c.EnableGso);
        Assert.Equal(256u, c.Tapv2RxRingSize);
        Assert.Equal(2, c.StnVersion);
        Assert.True(c.CrdNodeConfigurationDisabled);
        Assert.Equal(1u, c.PodVrfId);
        Assert.Equal("10.1.0.0/16", c.IpamConfig.PodSubnetCidr);
        Assert.Equal("192.168.16.0/24", c.IpamConfig.NodeInterconnectCidr);
        Assert.Equal("192.168.30.0/24", c.IpamConfig.VxlanCidr);
        Assert.Equal("10.96.0.0/12", c.IpamConfig.ServiceCidr);
        Assert.Equal(TimeSpan.FromSeconds(30), c.Controller.StartupResyncDeadline);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Controller.DelayAfterErrorHealing);
        Assert.Equal(3, c.Controller.MaxRetryAttempts);
        Assert.False(c.Controller.EnablePeriodicHealing); // SPEC §7: shipped off (an idle agent does not resync)
        Assert.Equal(TimeSpan.FromMinutes(1), c.Controller.PeriodicHealingInterval);
    }

    [Fact]
    public void Yaml_keys_are_case_insensitive_and_nested_sections_parse()
    {
        const string yaml = """
            mtuSize: 1500
            STNVersion: 1
            useTAPInterfaces: true
            ipamConfig:
              podSubnetCIDR: "10.2.0.0/16"
              PODSUBNETONENODEPREFIXLEN: 25
              defaultGateway: 192.168.16.100
            nodeConfig:
              - nodeName: n1
                mainVPPInterface:
                  interfaceName: eth1
                  ip: 192.168.16.10/24
                gateway: 192.168.16.254
            controller:
              delayRetry: 250ms
              startupResyncDeadline: 5000000000
            """;
        var c = ConfigLoader.Parse(yaml, new Hashtable());
        Assert.Equal(1500u, c.MtuSize);
        Assert.Equal(1, c.StnVersion);
        Assert.Equal("10.2.0.0/16", c.IpamConfig.PodSubnetCidr);
        Assert.Equal(25, c.IpamConfig.PodSubnetOneNodePrefixLen);
        Assert.Equal("eth1", c.NodeConfig[0].MainVppInterface!.InterfaceName);
        Assert.Equal(TimeSpan.FromMilliseconds(250), c.Controller.DelayRetry);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Controller.StartupResyncDeadline);
    }

    [Fact]
    public void Environment_overrides_win_over_the_file()
    {
        var env = new Hashtable
        {
            ["CONTIV_mtuSize"] = "9000",
            ["CONTIV_ipamConfig__podSubnetCIDR"] = "10.7.0.0/16",
            ["CONTIV_controller__enableRetry"] = "false",
            ["UNRELATED"] = "x",
        };
        var c = ConfigLoader.Parse("mtuSize: 1500\nipamConfig:\n  podSubnetCIDR: 10.2.0.0/16\n", env);
        Assert.Equal(9000u, c.MtuSize);
        Assert.Equal("10.7.0.0/16", c.IpamConfig.PodSubnetCidr);
        Assert.False(c.Controller.EnableRetry);
    }

    [Fact]
    public void Bad_value_names_the_key()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("mtuSize: lots\n", new Hashtable()));
        Assert.Contains("mtuSize", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_path()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/contiv.conf", new Hashtable()));
        Assert.Contains("/nonexistent/contiv.conf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_section_overrides_global_options()
    {
        var c = ConfigLoader.Parse("""
            ipamConfig:
              defaultGateway: 192.168.16.100
            nodeConfig:
              - nodeName: n1
                mainVPPInterface: { interfaceName: eth1, ip: 192.168.16.10/24 }
                gateway: 192.168.16.1
            """, new Hashtable());
        var n1 = NodeSettings.For(c, "n1");
        Assert.Equal("eth1", n1.MainInterfaceName);
        Assert.Equal("192.168.16.10", n1.MainInterfaceIp!.Value.Address.ToString());
        Assert.Equal("192.168.16.1", n1.DefaultGateway.ToString());
        Assert.Equal("192.168.16.1", n1.Subnets.DefaultGateway.ToString());
        var n2 = NodeSettings.For(c, "n2");
        Assert.Equal(string.Empty, n2.MainInterfaceName);
        Assert.Null(n2.MainInterfaceIp);
        Assert.Equal("192.168.16.100", n2.DefaultGateway.ToString());
    }

    [Fact]
    public void Unsupported_transport_is_rejected_with_its_value()
    {
        var c = ConfigLoader.Parse("nodeToNodeTransport: srv6\n", new Hashtable());
        var e = Assert.Throws<ConfigException>(() => NodeSettings.For(c, "n1"));
        Assert.Contains("srv6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Govpp_reply_timeout_defaults_to_10s_parses_durations_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), ConfigLoader.Parse(null, new Hashtable()).Govpp.ReplyTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), ConfigLoader.Parse("govpp:\n  replyTimeout: 2500ms\n", new Hashtable()).Govpp.ReplyTimeout);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("govpp:\n  replyTimeout: 0s\n", new Hashtable()));
        Assert.Contains("govpp.replyTimeout", e.Message, StringComparison.Ordinal);
    }
}
