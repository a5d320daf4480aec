using Contiv.Linux;

namespace Contiv.Vpp.Tests;

/// <summary>The shared prefix type in both its roles: interface address (data plane) and network (IPAM).</summary>
public sealed class Ip4PrefixTests
{
    [Fact]
    public void Interface_address_keeps_its_host_bits_and_a_bare_address_is_a_host_route()
    {
        var a = Ip4Prefix.ParseAddress("10.0.0.1/24");
        Assert.Equal("10.0.0.1/24", a.ToString());
        Assert.Equal(0x0a000001u, (uint)a.Address);
        Assert.Equal(0x0a000000u, (uint)a.Network);
        Assert.Equal(0x0a0000ffu, (uint)a.Broadcast);
        Assert.True(a.Contains(0x0a000063u));
        Assert.Equal("192.0.2.7/32", Ip4Prefix.ParseAddress("192.0.2.7").ToString());
        Assert.False(Ip4Prefix.TryParseAddress("10.0.0.1/33", out _));
        Assert.False(Ip4Prefix.TryParseAddress("10.1/8", out _));
    }

    [Fact]
    public void Network_prefix_clears_host_bits_and_rejects_a_bare_address()
    {
        var n = Ip4Prefix.Parse("10.0.0.1/24");
        Assert.Equal("10.0.0.0/24", n.ToString());
        Assert.Equal(n, new Ip4Prefix(Contiv.Linux.Ip4.Parse("10.0.0.77"), 24));
        Assert.NotEqual(n, Ip4Prefix.ParseAddress("10.0.0.1/24"));
        Assert.False(Ip4Prefix.TryParse("10.0.0.1", out _));
    }
}
