using System.Diagnostics;
using Contiv.Agent.Services;
using Contiv.Agent.Services.Nat44;
using Contiv.Model.Ksr;
using static Contiv.Agent.Tests.Services.ServiceWorld;

namespace Contiv.Agent.Tests.Services;

/// <summary>
/// The bench's scale (issue 13: 10 000 Services with 2 backends each): a full resync renders them all, and an
/// endpoint change in such a world costs the changed service, not the world.
/// </summary>
public class ServiceScaleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Count = 10_000;

    [Fact]
    public void Ten_thousand_services_resync_and_one_endpoint_change_touches_one_mapping()
    {
        var w = new ServiceWorld();
        var services = new List<Service>(Count);
        var endpoints = new List<Endpoints>(Count);
        for (var i = 0; i < Count; i++)
        {
            var ip = Contiv.Linux.Ip4.Parse("10.96.0.0").Add(i + 1).ToString();
            services.Add(ClusterIp("svc" + i, ip, ("", 80, "TCP")));
            endpoints.Add(Endpoints("svc" + i, ["10.1.1.2", "10.1.2.7"], ("", 8080)));
        }

        var clock = Stopwatch.StartNew();
        var state = w.Processor.Resync(services, endpoints, [Node1, Node2], [LocalPod("10.1.1.2")]);
        var desired = w.Renderer.Resync(state);
        var resync = clock.Elapsed;
        Assert.Equal(Count, desired.Keys.Count(k => k.StartsWith(Nat44Keys.StaticMappingPrefix, StringComparison.Ordinal)));

        clock.Restart();
        const int updates = 1000;
        for (var i = 0; i < updates; i++)
        {
            var d = w.Put(Endpoints("svc" + i, ["10.1.1.2", "10.1.2.7", "10.1.2.8"], ("", 8080)));
            Assert.Single(d.Puts);
            Assert.Empty(d.Deletes);
        }

        var perUpdate = clock.Elapsed / updates;
        output.WriteLine($"resync of {Count} services: {resync.TotalMilliseconds:F0} ms; endpoint update: {perUpdate.TotalMilliseconds:F3} ms");

        // Generous bounds for a shared 2-core machine (the measured values are in the test output).
        Assert.True(resync < TimeSpan.FromSeconds(10), $"resync of {Count} services took {resync}");
        Assert.True(perUpdate < TimeSpan.FromMilliseconds(5), $"an endpoint update took {perUpdate.TotalMilliseconds:F3} ms");
    }
}
