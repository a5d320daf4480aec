using System.Net;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class RtNetlinkConcurrencyTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public async Task One_connection_bound_in_a_namespace_serves_many_threads()
    {
        var name = _scope.Create("conc");
        using var ns = NetworkNamespace.Open(name);
        using var nl = RtNetlink.Open(ns);
        nl.CreateVeth("c0", "c1");
        var dev = nl.GetLinkIndex("c0");
        nl.SetLinkUp("c1");
        nl.SetLinkUp(dev);
        nl.AddAddress(dev, IPAddress.Parse("192.168.60.1"), 24);

        // Thread-pool threads (never inside the namespace) share the socket made inside it.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                nl.AddRoute(new Route { Destination = new IPNetwork(IPAddress.Parse($"10.{100 + t}.{i}.0"), 24), Gateway = IPAddress.Parse("192.168.60.2") });
                _ = nl.GetLinks();
            }
        })));

        Assert.Equal(100, nl.GetRoutes().Count(r => r.Gateway?.Equals(IPAddress.Parse("192.168.60.2")) == true));
        Assert.Equal(100, IpJson.Query(name, "route show via 192.168.60.2").Length);
    }

    [RootFact]
    public void Errors_outside_a_named_namespace_omit_the_netns_part()
    {
        using var nl = RtNetlink.Open();
        Assert.Null(nl.NamespaceName);
        var e = Assert.Throws<NetlinkException>(() => nl.GetLink("ctnosuch0"));
        Assert.Equal("link get ctnosuch0: No such device (ENODEV)", e.Message);
    }
}
