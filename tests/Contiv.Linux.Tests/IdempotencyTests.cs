using System.Net;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

/// <summary>Add / replace / delete semantics and the error each case reports.</summary>
public sealed class IdempotencyTests : IDisposable
{
    private static readonly IPAddress Address = IPAddress.Parse("192.168.30.1");
    private readonly NetnsScope _scope = new();
    private readonly string _nsName;
    private readonly NetworkNamespace _ns;
    private readonly RtNetlink _nl;
    private readonly int _dev;

    public IdempotencyTests()
    {
        // xUnit does not dispose a test class whose constructor threw: clean up here then.
        try
        {
            _nsName = _scope.Create("idem");
            // No dummy driver on every kernel: a veth pair inside the namespace serves as the test link.
            Shell.Ip($"-n {_nsName} link add dummy0 type veth peer name dummy1");
            Shell.Ip($"-n {_nsName} link set dummy1 up");
            Shell.Ip($"-n {_nsName} link set dummy0 up");
            _ns = NetworkNamespace.Open(_nsName);
            _nl = RtNetlink.Open(_ns);
            _dev = _nl.GetLinkIndex("dummy0");
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
    public void Address_add_twice_exists_replace_succeeds_and_deleting_a_missing_one_is_not_found()
    {
        _nl.AddAddress(_dev, Address, 24);
        var exists = Assert.Throws<NetlinkException>(() => _nl.AddAddress(_dev, Address, 24));
        Assert.True(exists.IsAlreadyExists, exists.Message);
        Assert.False(exists.IsNotFound);
        Assert.StartsWith($"address add 192.168.30.1/24 dev dummy0 in netns {_nsName}: File exists (EEXIST)", exists.Message, StringComparison.Ordinal);

        _nl.ReplaceAddress(_dev, Address, 24);
        _nl.ReplaceAddress(_dev, Address, 24);
        Assert.Single(_nl.GetAddresses(_dev, System.Net.Sockets.AddressFamily.InterNetwork));

        _nl.DeleteAddress(_dev, Address, 24);
        var missing = Assert.Throws<NetlinkException>(() => _nl.DeleteAddress(_dev, Address, 24));
        Assert.True(missing.IsNotFound, missing.Message);
        Assert.False(missing.IsAlreadyExists);
        Assert.DoesNotContain(IpJson.Query(_nsName, "addr show dev dummy0").Single().GetProperty("addr_info").EnumerateArray(), a => a.Str("family") == "inet");
    }

    [RootFact]
    public void Route_add_twice_exists_replace_succeeds_and_deleting_a_missing_one_is_not_found()
    {
        _nl.AddAddress(_dev, Address, 24);
        var route = new Route { Destination = IPNetwork.Parse("10.1.2.0/24"), Gateway = IPAddress.Parse("192.168.30.2"), OutputInterface = _dev };
        _nl.AddRoute(route);
        var exists = Assert.Throws<NetlinkException>(() => _nl.AddRoute(route));
        Assert.True(exists.IsAlreadyExists, exists.Message);

        _nl.ReplaceRoute(route with { Gateway = IPAddress.Parse("192.168.30.3") });
        _nl.ReplaceRoute(route with { Gateway = IPAddress.Parse("192.168.30.3") });
        var viaIp = Assert.Single(IpJson.Query(_nsName, "route show 10.1.2.0/24"));
        Assert.Equal("192.168.30.3", viaIp.Str("gateway"));

        _nl.DeleteRoute(new Route { Destination = IPNetwork.Parse("10.1.2.0/24") });
        var missing = Assert.Throws<NetlinkException>(() => _nl.DeleteRoute(route));
        Assert.True(missing.IsNotFound, missing.Message);
        Assert.Equal(3, missing.Errno); // ESRCH
        Assert.Empty(IpJson.Query(_nsName, "route show 10.1.2.0/24"));
    }

    [RootFact]
    public void Neighbour_add_twice_exists_replace_updates_and_deleting_a_missing_one_is_not_found()
    {
        var entry = new Neighbour { InterfaceIndex = _dev, Address = IPAddress.Parse("192.168.30.9"), MacAddress = LinkAddress.Parse("02:00:00:00:00:09") };
        _nl.AddNeighbour(entry);
        var exists = Assert.Throws<NetlinkException>(() => _nl.AddNeighbour(entry));
        Assert.True(exists.IsAlreadyExists, exists.Message);

        var updated = entry with { MacAddress = LinkAddress.Parse("02:00:00:00:00:0a") };
        _nl.ReplaceNeighbour(updated);
        _nl.ReplaceNeighbour(updated);
        var n = Assert.Single(_nl.GetNeighbours(_dev), x => x.Address.Equals(entry.Address));
        Assert.Equal(updated.MacAddress, n.MacAddress);
        Assert.Equal("02:00:00:00:00:0a", IpJson.Query(_nsName, "neigh show dev dummy0").Single().Str("lladdr"));

        _nl.DeleteNeighbour(entry);
        var missing = Assert.Throws<NetlinkException>(() => _nl.DeleteNeighbour(entry));
        Assert.True(missing.IsNotFound, missing.Message);
    }

    [RootFact]
    public void Missing_links_are_not_found()
    {
        Assert.Null(_nl.FindLink("nosuch0"));
        Assert.True(Assert.Throws<NetlinkException>(() => _nl.GetLink("nosuch0")).IsNotFound);
        Assert.True(Assert.Throws<NetlinkException>(() => _nl.GetLink(99999)).IsNotFound);
        var e = Assert.Throws<NetlinkException>(() => _nl.DeleteLink("nosuch0"));
        Assert.True(e.IsNotFound, e.Message);
        Assert.Contains("link del nosuch0", e.Message, StringComparison.Ordinal);
        Assert.True(Assert.Throws<NetlinkException>(() => _nl.SetLinkUp(99999)).IsNotFound);
    }

    [RootFact]
    public void Unreachable_gateway_error_names_operation_route_namespace_and_errno()
    {
        var route = new Route { Destination = IPNetwork.Parse("10.1.2.0/24"), Gateway = IPAddress.Parse("192.168.30.2") };
        var e = Assert.Throws<NetlinkException>(() => _nl.AddRoute(route));
        Assert.Equal("route add", e.Operation);
        Assert.Equal(_nsName, e.NamespaceName);
        Assert.Equal("ENETUNREACH", e.ErrnoName);
        Assert.StartsWith($"route add 10.1.2.0/24 via 192.168.30.2 in netns {_nsName}: Network is unreachable (ENETUNREACH)", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsAlreadyExists || e.IsNotFound);
    }
}
