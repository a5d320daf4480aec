using Contiv.Linux;
using Contiv.Agent.Addressing;
using Contiv.Agent.Ipam;

namespace Contiv.Agent.Tests.Ipam;

public class PodIpAllocatorTests
{
    private static PodId Pod(int i) => new($"pod{i}", "default");

    [Fact]
    public void First_pod_gets_dot_2_then_sequential()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        Assert.Equal("10.1.1.2", a.Allocate(Pod(1)).ToString());
        Assert.Equal("10.1.1.3", a.Allocate(Pod(2)).ToString());
        Assert.Equal("10.1.1.4", a.Allocate(Pod(3)).ToString());
    }

    [Fact]
    public void Same_pod_asking_again_gets_the_same_ip()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        var ip = a.Allocate(Pod(1));
        a.Allocate(Pod(2));
        Assert.Equal(ip, a.Allocate(Pod(1)));
    }

    [Fact]
    public void Released_ip_is_not_reused_until_wrap_around()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        a.Allocate(Pod(1));
        a.Allocate(Pod(2));
        a.Release(Pod(1));
        Assert.Equal("10.1.1.4", a.Allocate(Pod(3)).ToString());
    }

    [Fact]
    public void Last_allocatable_is_dot_253_then_wraps_to_lowest_free()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        for (var i = 0; i < 252; i++)
        {
            a.Allocate(Pod(i));
        }

        Assert.Equal("10.1.1.253", a.Find(Pod(251)).ToString());
        a.Release(Pod(10)); // held 10.1.1.12
        Assert.Equal("10.1.1.12", a.Allocate(Pod(1000)).ToString());
    }

    [Fact]
    public void Exhausted_subnet_reports_the_pod_and_subnet()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/29")); // .2 .. .5 allocatable, .6 NAT loopback, .7 broadcast
        for (var i = 0; i < 4; i++)
        {
            a.Allocate(Pod(i));
        }

        Assert.Equal("10.1.1.5", a.Find(Pod(3)).ToString());
        var e = Assert.Throws<PodSubnetExhaustedException>(() => a.Allocate(Pod(99)));
        Assert.Contains("default/pod99", e.Message, StringComparison.Ordinal);
        Assert.Contains("10.1.1.0/29", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relearned_allocations_are_kept_and_allocation_continues_after_the_highest()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        Assert.True(a.Register(Pod(1), Ip4.Parse("10.1.1.7")));
        Assert.True(a.Register(Pod(2), Ip4.Parse("10.1.1.3")));
        Assert.Equal("10.1.1.8", a.Allocate(Pod(3)).ToString());
        Assert.Equal("10.1.1.7", a.Allocate(Pod(1)).ToString());
    }

    [Theory]
    [InlineData("10.1.2.5")]
    [InlineData("10.1.1.1")]
    [InlineData("10.1.1.254")]
    public void Register_refuses_addresses_that_are_not_allocatable(string ip)
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        Assert.False(a.Register(Pod(1), Ip4.Parse(ip)));
    }

    [Fact]
    public void Register_refuses_an_ip_owned_by_another_pod()
    {
        var a = new PodIpAllocator(Ip4Prefix.Parse("10.1.1.0/24"));
        var ip = a.Allocate(Pod(1));
        Assert.False(a.Register(Pod(2), ip));
    }
}
