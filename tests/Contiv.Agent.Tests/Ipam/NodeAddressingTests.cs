using Contiv.Linux;
using Contiv.Agent.Addressing;
using Contiv.Agent.Config;
using Contiv.Agent.Ipam;

namespace Contiv.Agent.Tests.Ipam;

public class NodeAddressingTests
{
    private static IpamSubnets Defaults() => IpamSubnets.FromConfig(new IpamConfig());

    [Fact]
    public void Default_node_1_matches_the_worked_example_of_the_spec()
    {
        var a = new NodeAddressing(Defaults(), 1);
        Assert.Equal("10.1.1.0/24", a.PodSubnetThisNode.ToString());
        Assert.Equal("10.1.1.1", a.PodGateway.ToString());
        Assert.Equal("10.1.1.254", a.NatLoopback.ToString());
        Assert.Equal("172.30.1.0/24", a.HostSubnetThisNode.ToString());
        Assert.Equal("172.30.1.1", a.HostInterconnectIpInVpp.ToString());
        Assert.Equal("172.30.1.2", a.HostInterconnectIpInLinux.ToString());
        Assert.Equal(("192.168.16.1", 24), (a.NodeIpOf(1).Address.ToString(), a.NodeIpOf(1).PrefixLength));
        Assert.Equal(("192.168.30.1", 24), (a.VxlanBviAddressOf(1).Address.ToString(), a.VxlanBviAddressOf(1).PrefixLength));
        Assert.Equal("10.1.2.0/24", a.PodSubnetOf(2).ToString());
        Assert.Equal("172.30.2.0/24", a.HostSubnetOf(2).ToString());
        Assert.Equal("192.168.16.2", a.NodeIpOf(2).Address.ToString());
    }

    [Fact]
    public void Node_id_equal_to_number_of_slices_maps_to_slice_zero()
    {
        Assert.Equal("10.1.0.0/24", IpamSubnets.DissectForNode(Ip4Prefix.Parse("10.1.0.0/16"), 24, 256).ToString());
    }

    [Fact]
    public void Node_id_beyond_number_of_slices_is_an_error()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => IpamSubnets.DissectForNode(Ip4Prefix.Parse("10.1.0.0/16"), 24, 257));
        Assert.Contains("257", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_node_prefix_not_longer_than_cluster_prefix_is_rejected()
    {
        var e = Assert.Throws<ConfigException>(() => IpamSubnets.FromConfig(new IpamConfig { PodSubnetOneNodePrefixLen = 16 }));
        Assert.Contains("podSubnetOneNodePrefixLen", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gateway_at_or_below_the_computed_node_ip_shifts_it_up_by_one()
    {
        var s = IpamSubnets.FromConfig(new IpamConfig { DefaultGateway = "192.168.16.1" });
        var a = new NodeAddressing(s, 1);
        Assert.Equal("192.168.16.2", a.NodeIpOf(1).Address.ToString());
        Assert.Equal("192.168.16.3", a.NodeIpOf(2).Address.ToString());
    }

    [Fact]
    public void Gateway_above_the_computed_node_ip_changes_nothing()
    {
        var s = IpamSubnets.FromConfig(new IpamConfig { DefaultGateway = "192.168.16.254" });
        Assert.Equal("192.168.16.5", new NodeAddressing(s, 5).NodeIpOf(5).Address.ToString());
    }

    [Fact]
    public void Node_ip_for_id_equal_to_subnet_size_is_an_error()
    {
        var a = new NodeAddressing(Defaults(), 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.NodeIpOf(256));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.NodeIpOf(300));
    }

    [Fact]
    public void ContivCidr_is_dissected_as_in_the_spec_example()
    {
        var s = IpamSubnets.FromConfig(new IpamConfig { ContivCidr = "10.128.0.0/14" });
        Assert.Equal("10.128.0.0/16", s.PodSubnetCidr.ToString());
        Assert.Equal("10.129.0.0/16", s.VppHostSubnetCidr.ToString());
        Assert.Equal(25, s.PodSubnetOneNodePrefixLen);
        Assert.Equal(25, s.VppHostSubnetOneNodePrefixLen);
        Assert.Equal("10.130.0.0/23", s.NodeInterconnectCidr.ToString());
        Assert.Equal("10.130.2.0/23", s.VxlanCidr.ToString());
        var a = new NodeAddressing(s, 3);
        Assert.Equal("10.128.1.128/25", a.PodSubnetThisNode.ToString());
        Assert.Equal("10.128.1.129", a.PodGateway.ToString());
        Assert.Equal("10.128.1.254", a.NatLoopback.ToString());
        Assert.Equal("10.130.0.3", a.NodeIpOf(3).Address.ToString());
        Assert.Equal("10.130.2.3", a.VxlanBviAddressOf(3).Address.ToString());
    }

    [Fact]
    public void ContivCidr_with_fewer_than_18_host_bits_is_rejected()
    {
        var e = Assert.Throws<ConfigException>(() => IpamSubnets.FromConfig(new IpamConfig { ContivCidr = "10.128.0.0/15" }));
        Assert.Contains("10.128.0.0/15", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContivCidr_with_dhcp_leaves_node_subnet_unset()
    {
        var s = IpamSubnets.FromConfig(new IpamConfig { ContivCidr = "10.128.0.0/14", NodeInterconnectDhcp = true });
        Assert.Null(s.NodeInterconnectCidr);
    }

    [Fact]
    public void NodeId_from_pod_ip_inverts_the_dissection()
    {
        var a = new NodeAddressing(Defaults(), 1);
        Assert.Equal(7u, a.NodeIdFromPodIp(Ip4.Parse("10.1.7.33")));
        Assert.Equal(256u, a.NodeIdFromPodIp(Ip4.Parse("10.1.0.9")));
    }

    [Fact]
    public void Ipv6_subnets_are_rejected_with_the_key_name()
    {
        var e = Assert.Throws<ConfigException>(() => IpamSubnets.FromConfig(new IpamConfig { PodSubnetCidr = "fd00::/64" }));
        Assert.Contains("podSubnetCIDR", e.Message, StringComparison.Ordinal);
    }
}
