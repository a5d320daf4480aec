using Contiv.Linux;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Ip4;
using Microsoft.Extensions.Time.Testing;

namespace Contiv.Vpp.Tests;

/// <summary>ICMP errors are rate limited per thread by a token bucket (burst, then a sustained rate).</summary>
public sealed class IcmpRateLimitTests
{
    [Fact]
    public void Time_exceeded_errors_stop_after_the_burst_and_resume_at_the_rate()
    {
        var clock = new FakeTimeProvider();
        using var dp = new Dataplane(new DataplaneOptions { Buffers = 256, IcmpErrorBurst = 5, IcmpErrorsPerSecond = 10, Clock = clock });
        dp.Start();
        var pg0 = dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:00:01"));
        var pg1 = dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:01:01"));
        dp.AddAddress(pg0, Ip4Prefix.ParseAddress("10.0.0.1/24"));
        dp.AddAddress(pg1, Ip4Prefix.ParseAddress("10.0.1.1/24"));
        dp.SetAdminState(pg0, true);
        dp.SetAdminState(pg1, true);
        dp.SetNeighbor(pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
        dp.SetNeighbor(pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        void Expiring(int n)
        {
            for (var i = 0; i < n; i++)
            {
                dp.Inject(pg0, Packets.Ethernet(pg0.Mac, TwoPortDataplane.HostA, 0x0800, Packets.Ip4("10.0.0.2", "10.0.1.2", 17, Packets.Udp(1, 2, 8), ttl: 1)));
            }
        }

        Expiring(20);
        Assert.Equal(5, Dataplane.Captured(pg0).Count);

        clock.Advance(TimeSpan.FromMilliseconds(300)); // 3 tokens
        Expiring(20);
        Assert.Equal(8, Dataplane.Captured(pg0).Count);

        clock.Advance(TimeSpan.FromSeconds(10)); // refills to the burst, not beyond
        Expiring(20);
        Assert.Equal(13, Dataplane.Captured(pg0).Count);
        Assert.All(Dataplane.Captured(pg0), f => Assert.Equal(1, Packets.Proto(f)));
        Assert.Equal(0, dp.BuffersInUse());
        var errors = dp.Graph.Errors;
        long limited = 0;
        for (var e = 0; e < errors.Count; e++)
        {
            if (errors[e].Node.Name == "ip4-icmp-error" && errors[e].Reason == "ICMP error rate limited")
            {
                limited += dp.Contexts.Sum(c => c.ErrorCounters[e]);
            }
        }

        Assert.Equal(60 - 13, limited);
    }
}
