using Contiv.Linux;
using Contiv.Vpp.Arp;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp;

/// <summary>How a configured route forwards.</summary>
public enum RouteKind
{
    /// <summary>Via a next hop and/or an interface in the same VRF.</summary>
    Forward,
    /// <summary>Look the destination up again in <see cref="RouteSpec.ViaTableId"/>.</summary>
    InterVrf,
    /// <summary>Blackhole.</summary>
    Drop,
    /// <summary>Receive (deliver to ip4-local).</summary>
    Local,
}

/// <summary>A configured route (API/CLI). Key: table, prefix, next hop, out interface, kind.</summary>
public sealed record RouteSpec
{
    /// <summary>VRF / table id.</summary>
    public uint TableId { get; init; }

    /// <summary>Destination prefix (network form).</summary>
    public Ip4Prefix Prefix { get; init; }

    /// <summary>Next hop (0 = none).</summary>
    public uint NextHop { get; init; }

    /// <summary>Out interface (-1 = none).</summary>
    public int OutSwIfIndex { get; init; } = -1;

    /// <summary>Kind.</summary>
    public RouteKind Kind { get; init; }

    /// <summary>Target table of an inter-VRF route.</summary>
    public uint ViaTableId { get; init; }

    /// <summary>ECMP weight (informational).</summary>
    public int Weight { get; init; } = 1;

    /// <summary>Lower is preferred.</summary>
    public int Preference { get; init; }

    /// <summary>Identity of the route: a PUT of a spec with the same key updates it in place.</summary>
    public RouteKey Key => new(TableId, Prefix.Network, Prefix.Length, NextHop, OutSwIfIndex, Kind, ViaTableId);
}

/// <summary>
/// Identity of a configured route: table, destination, next hop, out interface, kind and target table.
/// Weight and preference are attributes, not identity.
/// </summary>
/// <param name="TableId">VRF / table id.</param>
/// <param name="Network">Destination network (host order).</param>
/// <param name="Length">Destination prefix length.</param>
/// <param name="NextHop">Next hop (0 = none).</param>
/// <param name="OutSwIfIndex">Out interface (-1 = none).</param>
/// <param name="Kind">How the route forwards.</param>
/// <param name="ViaTableId">Target table of an inter-VRF route.</param>
public readonly record struct RouteKey(uint TableId, uint Network, int Length, uint NextHop, int OutSwIfIndex, RouteKind Kind, uint ViaTableId);

/// <summary>A proxy-ARP range.</summary>
public sealed record ProxyArpRange(uint TableId, uint First, uint Last);

public sealed partial class Dataplane
{
    // By FIB index; a deleted table leaves a null slot so the indices of the others stay stable.
    private readonly List<FibTable?> _fibs = [];
    private readonly Dictionary<RouteKey, (RouteSpec Spec, Adjacency? Adj)> _routes = [];
    private readonly Dictionary<(uint Table, uint Network, int Length), List<RouteSpec>> _routesByPrefix = [];
    private List<ProxyArpRange> _proxyArp = [];

    /// <summary>Every FIB table.</summary>
    public IReadOnlyList<FibTable> Tables
    {
        get
        {
            lock (_control)
            {
                var tables = new List<FibTable>(_fibs.Count);
                foreach (var t in _fibs)
                {
                    if (t is not null)
                    {
                        tables.Add(t);
                    }
                }

                return tables;
            }
        }
    }

    /// <summary>Configured routes.</summary>
    public IReadOnlyList<RouteSpec> Routes
    {
        get
        {
            lock (_control)
            {
                var l = new List<RouteSpec>(_routes.Count);
                foreach (var r in _routes.Values)
                {
                    l.Add(r.Spec);
                }

                return l;
            }
        }
    }

    /// <summary>Proxy-ARP ranges.</summary>
    public IReadOnlyList<ProxyArpRange> ProxyArpRanges => _proxyArp;

    /// <summary>Finds a table by id.</summary>
    public FibTable? FindTable(uint tableId)
    {
        foreach (var t in FibArray)
        {
            if (t is not null && t.TableId == tableId)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>Finds a table by id or throws NotFound.</summary>
    public FibTable RequireTable(uint tableId)
        => FindTable(tableId) ?? throw new DataplaneException($"no such table {tableId}", DataplaneError.NotFound);

    /// <summary>Creates table <paramref name="tableId"/> (idempotent; renames when a name is given).</summary>
    public FibTable AddTable(uint tableId, string? name = null)
    {
        return Exclusive(() =>
        {
            if (FindTable(tableId) is { } existing)
            {
                if (!string.IsNullOrEmpty(name))
                {
                    existing.Name = name;
                }

                return existing;
            }

            var index = _fibs.Count;
            var t = new FibTable(index, tableId, string.IsNullOrEmpty(name) ? $"ipv4-VRF:{tableId}" : name);
            _fibs.Add(t);
            FibArray = [.. _fibs];
            return t;
        });
    }

    /// <summary>Deletes a table that no interface uses; its routes go with it.</summary>
    public void DeleteTable(uint tableId)
    {
        if (tableId == 0)
        {
            throw new DataplaneException("Can't change the default table");
        }

        Exclusive(() =>
        {
            var t = RequireTable(tableId);
            foreach (var i in _interfaces)
            {
                if (i is not null && i.FibIndex == t.Index)
                {
                    throw new DataplaneException($"table {tableId} is in use by {i.DevName}");
                }
            }

            foreach (var (k, r) in _routes.ToArray())
            {
                if (r.Spec.TableId == tableId || (r.Spec.Kind == RouteKind.InterVrf && r.Spec.ViaTableId == tableId))
                {
                    RemoveRouteLocked(r.Spec);
                }
            }

            // FIB indices stay stable: the slot becomes empty. The data path never reads it: no interface
            // is bound to the table (checked above) and every route looking up in it was removed.
            var arr = (FibTable?[])FibArray.Clone();
            arr[t.Index] = null;
            _fibs[t.Index] = null;
            FibArray = arr;
        });
    }

    /// <summary>Binds an interface to a table; the interface must have no addresses.</summary>
    public void SetInterfaceTable(SwInterface intf, uint tableId)
    {
        ArgumentNullException.ThrowIfNull(intf);
        Exclusive(() =>
        {
            var t = RequireTable(tableId);
            if (intf.FibIndex == t.Index)
            {
                return;
            }

            if (intf.Addresses.Count > 0)
            {
                throw new DataplaneException($"IP addresses are still present on {intf.DevName}");
            }

            intf.FibIndex = t.Index;
        });
    }

    /// <summary>Adds an address: receive /32, attached subnet (glean), network and broadcast drops.</summary>
    public void AddAddress(SwInterface intf, Ip4Prefix prefix)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (intf.SwIfIndex == 0)
        {
            throw new DataplaneException("local0 refuses IP addresses");
        }

        if (prefix.Length is < 1 or > 32 || prefix.Address == 0)
        {
            throw new DataplaneException($"invalid address {prefix} for {intf.DevName}");
        }

        Exclusive(() =>
        {
            if (intf.Addresses.Contains(prefix))
            {
                return;
            }

            if (intf.UnnumberedTo >= 0)
            {
                throw new DataplaneException($"{intf.DevName} is unnumbered; it cannot have its own addresses");
            }

            foreach (var other in _interfaces)
            {
                if (other is not null && other != intf && other.FibIndex == intf.FibIndex)
                {
                    foreach (var a in other.Addresses)
                    {
                        if (a.Address == prefix.Address)
                        {
                            throw new DataplaneException($"address {Ip4Address.Format(prefix.Address)} is already configured on {other.DevName}", DataplaneError.AlreadyExists);
                        }
                    }
                }
            }

            intf.Addresses.Add(prefix);
            var t = FibArray[intf.FibIndex]!;
            t.Set(prefix.Address, 32, FibSource.Interface, new Dpo { Kind = DpoKind.Receive, SwIfIndex = intf.SwIfIndex, Address = prefix.Address });
            if (prefix.Length < 32)
            {
                t.Set(prefix.Network, prefix.Length, FibSource.Interface, new Dpo { Kind = DpoKind.Glean, SwIfIndex = intf.SwIfIndex });
            }

            if (prefix.Length <= 30)
            {
                var special = new Dpo { Kind = DpoKind.Drop, DropReason = DropReason.Special };
                t.Set(prefix.Network, 32, FibSource.Interface, special);
                t.Set(prefix.Broadcast, 32, FibSource.Interface, special);
            }
        });
    }

    /// <summary>Removes an address (and its FIB entries).</summary>
    public bool DeleteAddress(SwInterface intf, Ip4Prefix prefix)
    {
        ArgumentNullException.ThrowIfNull(intf);
        return Exclusive(() =>
        {
            var i = intf.Addresses.FindIndex(a => a.Address == prefix.Address);
            if (i < 0)
            {
                return false;
            }

            RemoveAddressEntries(intf, intf.Addresses[i]);
            intf.Addresses.RemoveAt(i);
            return true;
        });
    }

    private void RemoveAddressEntries(SwInterface intf, Ip4Prefix prefix)
    {
        var t = FibArray[intf.FibIndex]!;
        t.Set(prefix.Address, 32, FibSource.Interface, null);
        if (prefix.Length < 32)
        {
            t.Set(prefix.Network, prefix.Length, FibSource.Interface, null);
        }

        if (prefix.Length <= 30)
        {
            t.Set(prefix.Network, 32, FibSource.Interface, null);
            t.Set(prefix.Broadcast, 32, FibSource.Interface, null);
        }
    }

    /// <summary>Adds (or replaces) a route. Referenced tables and interfaces must exist.</summary>
    public void AddRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route = route with { Prefix = new Ip4Prefix(route.Prefix.Network, route.Prefix.Length) };
        Exclusive(() =>
        {
            var t = FindTable(route.TableId) ?? throw new DataplaneException($"Nonexistent table id {route.TableId}", DataplaneError.NotFound);
            if (route.Kind == RouteKind.InterVrf)
            {
                _ = FindTable(route.ViaTableId) ?? throw new DataplaneException($"route {route.Prefix} in table {route.TableId}: Nonexistent via table id {route.ViaTableId}", DataplaneError.NotFound);
            }

            if (route.OutSwIfIndex >= 0 && Interface(route.OutSwIfIndex) is null)
            {
                throw new DataplaneException($"route {route.Prefix}: unknown interface index {route.OutSwIfIndex}", DataplaneError.NotFound);
            }

            if (route.Kind == RouteKind.Forward && route.NextHop == 0 && route.OutSwIfIndex < 0)
            {
                throw new DataplaneException($"route {route.Prefix} in table {route.TableId}: expected paths (a next hop or an interface)");
            }

            if (_routes.ContainsKey(route.Key))
            {
                RemoveRouteLocked(route);
            }

            Adjacency? adj = null;
            if (route.Kind == RouteKind.Forward && route.NextHop != 0 && route.OutSwIfIndex >= 0)
            {
                adj = Neighbors.Acquire(route.OutSwIfIndex, route.NextHop);
            }

            _routes[route.Key] = (route, adj);
            var pk = (route.TableId, route.Prefix.Network, route.Prefix.Length);
            if (!_routesByPrefix.TryGetValue(pk, out var list))
            {
                _routesByPrefix[pk] = list = [];
            }

            list.Add(route);
            RecomputeApiEntry(t, route.Prefix);
        });
    }

    /// <summary>Removes a route by key; false when it did not exist.</summary>
    public bool DeleteRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route = route with { Prefix = new Ip4Prefix(route.Prefix.Network, route.Prefix.Length) };
        return Exclusive(() => RemoveRouteLocked(route));
    }

    /// <summary>Removes every configured route for a prefix in a table (CLI <c>ip route del</c> without paths).</summary>
    public int DeleteRoutes(uint tableId, Ip4Prefix prefix)
    {
        return Exclusive(() =>
        {
            var n = 0;
            if (_routesByPrefix.TryGetValue((tableId, prefix.Network, prefix.Length), out var list))
            {
                foreach (var r in list.ToArray())
                {
                    n += RemoveRouteLocked(r) ? 1 : 0;
                }
            }

            return n;
        });
    }

    private bool RemoveRouteLocked(RouteSpec route)
    {
        if (!_routes.Remove(route.Key, out var r))
        {
            return false;
        }

        if (r.Adj is not null)
        {
            Neighbors.Release(r.Adj);
        }

        var pk = (route.TableId, route.Prefix.Network, route.Prefix.Length);
        if (_routesByPrefix.TryGetValue(pk, out var list))
        {
            list.RemoveAll(x => x.Key == route.Key);
            if (list.Count == 0)
            {
                _routesByPrefix.Remove(pk);
            }
        }

        if (FindTable(route.TableId) is { } t)
        {
            RecomputeApiEntry(t, route.Prefix);
        }

        return true;
    }

    private void RemoveRoutesVia(int sw)
    {
        foreach (var r in _routes.Values.ToArray())
        {
            if (r.Spec.OutSwIfIndex == sw)
            {
                RemoveRouteLocked(r.Spec);
            }
        }
    }

    private void RecomputeApiEntry(FibTable t, Ip4Prefix prefix)
    {
        if (!_routesByPrefix.TryGetValue((t.TableId, prefix.Network, prefix.Length), out var list) || list.Count == 0)
        {
            t.Set(prefix.Network, prefix.Length, FibSource.Api, null);
            return;
        }

        var best = int.MaxValue;
        foreach (var r in list)
        {
            best = Math.Min(best, r.Preference);
        }

        var paths = new List<Dpo>();
        foreach (var r in list)
        {
            if (r.Preference == best)
            {
                paths.Add(PathDpo(r, _routes[r.Key].Adj));
            }
        }

        var dpo = paths.Count == 1 ? paths[0] : new Dpo { Kind = paths[0].Kind, Paths = [.. paths] };
        t.Set(prefix.Network, prefix.Length, FibSource.Api, dpo);
    }

    private Dpo PathDpo(RouteSpec r, Adjacency? adj) => r.Kind switch
    {
        RouteKind.Drop => new Dpo { Kind = DpoKind.Drop, DropReason = DropReason.DropRoute },
        RouteKind.Local => new Dpo { Kind = DpoKind.Receive, SwIfIndex = r.OutSwIfIndex < 0 ? 0 : r.OutSwIfIndex, Address = r.Prefix.Network },
        RouteKind.InterVrf => new Dpo { Kind = DpoKind.LookupInTable, TableIndex = FindTable(r.ViaTableId)!.Index },
        _ when adj is not null => new Dpo { Kind = DpoKind.Adjacency, AdjIndex = adj.Index, SwIfIndex = adj.SwIfIndex, Address = adj.NextHop },
        _ when r.OutSwIfIndex >= 0 => new Dpo { Kind = DpoKind.Glean, SwIfIndex = r.OutSwIfIndex },
        _ => new Dpo { Kind = DpoKind.Recursive, Address = r.NextHop },
    };

    /// <summary>Adds or updates a neighbour; packets waiting for it are sent.</summary>
    public void SetNeighbor(SwInterface intf, uint ip, MacAddress mac, bool isStatic)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (mac.IsMulticast || mac.Value == 0)
        {
            throw new DataplaneException($"neighbor {Ip4Address.Format(ip)} on {intf.DevName}: invalid MAC {mac}");
        }

        Exclusive(() =>
        {
            var released = new List<int>();
            Adjacency? adj = null;
            lock (Neighbors.Lock)
            {
                Neighbors.Update(intf.SwIfIndex, ip, mac, isStatic, released);
                if (released.Count > 0)
                {
                    adj = Neighbors.GetOrCreateAdjacency(intf.SwIfIndex, ip);
                }
            }

            if (released.Count > 0)
            {
                var rewrite = Graph.IndexOf(Ip4RewriteNode.NodeName);
                foreach (var b in released)
                {
                    Buffers.Meta(b).AdjIndex = adj!.Index;
                    Main.Enqueue(rewrite, b);
                }

                Main.Dispatch();
            }
        });
    }

    /// <summary>Deletes a neighbour; false when missing.</summary>
    public bool DeleteNeighbor(SwInterface intf, uint ip)
    {
        ArgumentNullException.ThrowIfNull(intf);
        return Exclusive(() =>
        {
            var released = new List<int>();
            bool removed;
            lock (Neighbors.Lock)
            {
                removed = Neighbors.Remove(intf.SwIfIndex, ip, released);
            }

            foreach (var b in released)
            {
                Buffers.FreeShared(b);
            }

            return removed;
        });
    }

    /// <summary>Snapshot of the neighbour table.</summary>
    public List<Neighbor> NeighborSnapshot()
    {
        lock (Neighbors.Lock)
        {
            return Neighbors.Snapshot();
        }
    }

    /// <summary>Adds a proxy-ARP range in a table and enables proxy ARP on the given interfaces.</summary>
    public void AddProxyArpRange(ProxyArpRange range, IEnumerable<SwInterface> interfaces)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(interfaces);
        if (range.First > range.Last)
        {
            throw new DataplaneException($"proxy ARP range {Ip4Address.Format(range.First)} - {Ip4Address.Format(range.Last)}: first address is above the last");
        }

        Exclusive(() =>
        {
            _ = RequireTable(range.TableId);
            var l = new List<ProxyArpRange>(_proxyArp);
            if (!l.Contains(range))
            {
                l.Add(range);
            }

            _proxyArp = l;
            foreach (var i in interfaces)
            {
                i.ProxyArp = true;
            }
        });
    }

    /// <summary>Removes a proxy-ARP range.</summary>
    public bool DeleteProxyArpRange(ProxyArpRange range)
    {
        return Exclusive(() =>
        {
            var l = new List<ProxyArpRange>(_proxyArp);
            var removed = l.Remove(range);
            _proxyArp = l;
            return removed;
        });
    }

    /// <summary>True when <paramref name="ip"/> falls in a proxy-ARP range of the table with FIB index <paramref name="fibIndex"/>.</summary>
    public bool IsProxyArpTarget(int fibIndex, uint ip)
    {
        var ranges = _proxyArp;
        var tableId = FibArray[fibIndex]!.TableId;
        for (var i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (r.TableId == tableId && ip >= r.First && ip <= r.Last)
            {
                return true;
            }
        }

        return false;
    }
}
