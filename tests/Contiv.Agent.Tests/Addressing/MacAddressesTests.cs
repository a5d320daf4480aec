using Contiv.Agent.Addressing;

namespace Contiv.Agent.Tests.Addressing;

public class MacAddressesTests
{
    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    public void Fnv1a32_matches_reference_vectors(string text, uint expected) => Assert.Equal(expected, MacAddresses.Fnv1a32(text));

    [Fact]
    public void PodMac_is_02fe_plus_hash_of_containerid_slash_little_endian()
    {
        // FNV-1a-32("abc123/") = 0x6b28b01e
        Assert.Equal("02:fe:1e:b0:28:6b", MacAddresses.PodMac("abc123"));
    }

    [Fact]
    public void VppMac_uses_complemented_hash()
    {
        Assert.Equal("02:fe:e1:4f:d7:94", MacAddresses.VppMac("abc123"));
    }

    [Fact]
    public void Custom_interface_name_is_part_of_the_hash()
    {
        Assert.Equal("02:fe:10:7e:3a:88", MacAddresses.PodMac("abc123", "net1"));
        Assert.Equal("02:fe:ef:81:c5:77", MacAddresses.VppMac("abc123", "net1"));
    }

    [Fact]
    public void Node_macs_carry_the_node_id_big_endian()
    {
        Assert.Equal("34:3c:00:00:00:01", MacAddresses.HostInterconnectMac(1));
        Assert.Equal("12:2b:00:00:01:02", MacAddresses.VxlanBviMac(258));
    }
}
