using System.Net;
using System.Net.Sockets;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

/// <summary>IPv6, scopes, tables and metrics, checked against ip's JSON.</summary>
public sealed class AddressRouteTests : IDisposable
{
    private readonly NetnsScope _scope = new();
    private readonly string _nsName;
    private readonly NetworkNamespace _ns;
    private readonly RtNetlink _nl;
    private readonly int _dev;

    public AddressRouteTests()
    {
        // xUnit does not dispose a test class whose constructor threw: clean up here then.
        try
        {
            _nsName = _scope.Create("addr");
            _ns = NetworkNamespace.Open(_nsName);
            _nl = RtNetlink.Open(_ns);
            _nl.CreateVeth("e0", "e1");
            _dev = _nl.GetLinkIndex("e0");
            _nl.SetLinkUp("e1");
            _nl.SetLinkUp(_dev);
        }
        catch
        {
            _scope.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _nl.Dispose();
        _ns.Dispose();
        _scope.Dispose();
    }

    [RootFact]
    public void Ipv6_address_route_and_ndp_entry()
    {
        _nl.AddAddress(_dev, IPAddress.Parse("2001:db8::1"), 64, skipDuplicateDetection: true);
        _nl.AddRoute(new Route { Destination = IPNetwork.Parse("2001:db8:1::/64"), Gateway = IPAddress.Parse("2001:db8::2"), OutputInterface = _dev, Metric = 300 });
        _nl.AddNeighbour(new Neighbour { InterfaceIndex = _dev, Address = IPAddress.Parse("2001:db8::2"), MacAddress = LinkAddress.Parse("02:00:00:00:06:02") });

        var addr = Assert.Single(_nl.GetAddresses(_dev, AddressFamily.InterNetworkV6), a => a.Scope == NetworkScope.Global);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), addr.Address);
        Assert.Equal(64, addr.PrefixLength);
        var info = Assert.Single(IpJson.Query(_nsName, "-6 addr show dev e0").Single().GetProperty("addr_info").EnumerateArray(), a => a.Str("scope") == "global");
        Assert.Equal("2001:db8::1", info.Str("local"));
        Assert.False(info.TryGetProperty("tentative", out _));

        var route = Assert.Single(_nl.GetRoutes(AddressFamily.InterNetworkV6), r => r.Destination == IPNetwork.Parse("2001:db8:1::/64"));
        Assert.Equal(IPAddress.Parse("2001:db8::2"), route.Gateway);
        Assert.Equal(300, route.Metric);
        var ipRoute = Assert.Single(IpJson.Query(_nsName, "-6 route show 2001:db8:1::/64"));
        Assert.Equal("2001:db8::2", ipRoute.Str("gateway"));
        Assert.Equal(300, ipRoute.Int("metric"));

        _nl.ReplaceRoute(Route.Default(IPAddress.Parse("2001:db8::2"), _dev));
        Assert.Single(_nl.GetRoutes(AddressFamily.InterNetworkV6), r => r.IsDefault && IPAddress.Parse("2001:db8::2").Equals(r.Gateway));
        Assert.Equal("2001:db8::2", Assert.Single(IpJson.Query(_nsName, "-6 route show default")).Str("gateway"));

        var nd = Assert.Single(_nl.GetNeighbours(_dev, AddressFamily.InterNetworkV6), n => n.Address.Equals(IPAddress.Parse("2001:db8::2")));
        Assert.Equal(NeighbourState.Permanent, nd.State);
        Assert.Equal("02:00:00:00:06:02", IpJson.Query(_nsName, "-6 neigh show dev e0").Single(n => n.Str("dst") == "2001:db8::2").Str("lladdr"));
    }

    [RootFact]
    public void Routes_in_another_table_with_metric_host_scope_and_delete()
    {
        _nl.AddAddress(_dev, IPAddress.Parse("192.168.50.1"), 24);
        var vrfRoute = new Route { Destination = IPNetwork.Parse("10.20.0.0/16"), Gateway = IPAddress.Parse("192.168.50.254"), Table = 1001, Metric = 50 };
        _nl.AddRoute(vrfRoute);
        var blackhole = new Route { Destination = IPNetwork.Parse("10.30.0.0/16"), Type = RouteType.Blackhole, Table = 1001, Scope = NetworkScope.Global };
        _nl.AddRoute(blackhole);
        _nl.AddRoute(new Route { Destination = IPNetwork.Parse("10.40.0.0/24"), OutputInterface = _dev, Scope = NetworkScope.Host });

        Assert.DoesNotContain(_nl.GetRoutes(), r => r.Destination == IPNetwork.Parse("10.20.0.0/16"));
        var inTable = _nl.GetRoutes(table: 1001);
        var found = Assert.Single(inTable, r => r.Destination == IPNetwork.Parse("10.20.0.0/16"));
        Assert.Equal(50, found.Metric);
        Assert.Equal(1001, found.Table);
        Assert.Equal(_dev, found.OutputInterface);
        Assert.Equal(RouteType.Blackhole, Assert.Single(inTable, r => r.Destination == IPNetwork.Parse("10.30.0.0/16")).Type);
        Assert.Contains(_nl.GetRoutes(table: null), r => r.Table == RouteTables.Local); // local table entries of the address

        var ipTable = IpJson.Query(_nsName, "route show table 1001");
        Assert.Equal("192.168.50.254", ipTable.Single(r => r.Str("dst") == "10.20.0.0/16").Str("gateway"));
        Assert.Equal("blackhole", ipTable.Single(r => r.Str("dst") == "10.30.0.0/16").Str("type"));
        Assert.Equal("host", IpJson.Query(_nsName, "route show 10.40.0.0/24").Single().Str("scope"));
        Assert.Equal(NetworkScope.Host, _nl.GetRoutes().Single(r => r.Destination == IPNetwork.Parse("10.40.0.0/24")).Scope);

        _nl.DeleteRoute(vrfRoute);
        Assert.DoesNotContain(_nl.GetRoutes(table: 1001), r => r.Destination == IPNetwork.Parse("10.20.0.0/16"));
        Assert.True(Assert.Throws<NetlinkException>(() => _nl.DeleteRoute(vrfRoute)).IsNotFound);
    }

    [RootFact]
    public void Address_scope_link_and_host_are_kept()
    {
        _nl.AddAddress(_dev, IPAddress.Parse("169.254.10.1"), 16, NetworkScope.Link);
        _nl.AddAddress(_dev, IPAddress.Parse("10.77.0.1"), 32, NetworkScope.Host);
        var all = _nl.GetAddresses(_dev, AddressFamily.InterNetwork);
        Assert.Equal(NetworkScope.Link, all.Single(a => a.Address.Equals(IPAddress.Parse("169.254.10.1"))).Scope);
        Assert.Equal(NetworkScope.Host, all.Single(a => a.Address.Equals(IPAddress.Parse("10.77.0.1"))).Scope);
        var infos = IpJson.Query(_nsName, "-4 addr show dev e0").Single().GetProperty("addr_info").EnumerateArray().ToList();
        Assert.Equal("link", infos.Single(i => i.Str("local") == "169.254.10.1").Str("scope"));
        Assert.Equal("host", infos.Single(i => i.Str("local") == "10.77.0.1").Str("scope"));
    }
}
