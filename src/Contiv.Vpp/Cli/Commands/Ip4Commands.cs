using Contiv.Linux;
using System.Globalization;
using System.Text;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, IPv4: tables, routes, interface addresses, table binding and unnumbered; show ip fib/table.</summary>
internal sealed class Ip4Commands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("show ip fib", "show ip fib [summary] [table <table-id>] [<ip4-addr>[/<mask>]]", ShowIpFib);
        cli.Register("show ip table", "show ip table [<table-id>]", ShowIpTable);
        cli.Register("set interface ip address", "set interface ip address [del] <interface> <ip-addr>/<mask> | [all]", SetAddress);
        cli.Register("set interface ip table", "set interface ip table <interface> <table-id>", SetIpTable);
        cli.Register("set interface unnumbered", "set interface unnumbered [<interface> use <interface> | del <interface>]", SetUnnumbered);
        cli.Register("ip table", "ip table [add|del] <table-id> [name <name>]", IpTable);
        cli.Register("ip route", "ip route [add|del] <dst-ip-addr>/<width> [table <table-id>] via [next-hop-address] [next-hop-interface] | via drop | via local | via ip4-lookup-in-table <id>", IpRoute);
    }

    private string ShowIpFib(CliArgs a)
    {
        uint? tableId = null;
        Ip4Prefix? prefix = null;
        var summary = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("table"))
            {
                tableId = a.UInt("table id");
            }
            else if (a.Keyword("summary", "sum"))
            {
                summary = true;
            }
            else if (a.Keyword("detail", "mtrie", "memory"))
            {
                // accepted for compatibility
            }
            else
            {
                var t = a.Next("prefix");
                prefix = Ip4Prefix.TryParseAddress(t, out var p) ? p : throw new CliException($"unknown input `{t}'");
            }
        }

        var tables = new List<FibTable>();
        foreach (var t in _dp.Tables)
        {
            if (tableId is null || t.TableId == tableId)
            {
                tables.Add(t);
            }
        }

        if (tableId is not null && tables.Count == 0)
        {
            throw new CliException($"no such table {tableId}");
        }

        var sb = new StringBuilder();
        return _dp.Exclusive(() =>
        {
            foreach (var t in tables)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{t.Name}, fib_index:{t.Index}, flow hash:[src dst sport dport proto flowlabel ] epoch:0 flags:none locks:[CLI:1, ]\n");
                if (summary)
                {
                    var byLen = new SortedDictionary<int, int>();
                    foreach (var e in t.Entries())
                    {
                        byLen[e.Length] = byLen.GetValueOrDefault(e.Length) + 1;
                    }

                    sb.Append("    Prefix length         Count\n");
                    foreach (var (len, n) in byLen.Reverse())
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"{len,16}{n,14}\n");
                    }

                    continue;
                }

                if (prefix is { } pf)
                {
                    var e = pf.Length == 32 ? t.Lookup(pf.Address) : (t.Get(pf.Network, pf.Length) ?? t.Lookup(pf.Address));
                    sb.Append(CultureInfo.InvariantCulture, $"{Ip4Address.Format(e.Network)}/{e.Length} fib:{t.Index} locks:1\n");
                    sb.Append(CultureInfo.InvariantCulture, $"  {SourceName(e.ActiveSource)} refs:1 src-flags:added,contributing,active,\n");
                    sb.Append(" forwarding:   unicast-ip4-chain\n");
                    AppendDpo(sb, e.Forwarding, "  ");
                    continue;
                }

                foreach (var e in t.Entries())
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{Ip4Address.Format(e.Network)}/{e.Length}\n  unicast-ip4-chain\n");
                    AppendDpo(sb, e.Forwarding, "  ");
                }
            }

            return sb.ToString();
        });
    }

    private static string SourceName(FibSource s) => s switch
    {
        FibSource.Interface => "interface",
        FibSource.Api => "API",
        _ => "default-route",
    };

    private void AppendDpo(StringBuilder sb, Dpo dpo, string indent)
    {
        var paths = dpo.Paths ?? [dpo];
        sb.Append(CultureInfo.InvariantCulture, $"{indent}[@0]: dpo-load-balance: [proto:ip4 buckets:{paths.Length} uRPF:0 to:[0:0]]\n");
        for (var k = 0; k < paths.Length; k++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{indent}  [{k}] {DescribeDpo(paths[k])}\n");
        }
    }

    private string DescribeDpo(Dpo d)
    {
        string If(int sw) => _dp.Interface(sw)?.DevName ?? $"sw_if_index {sw}";
        switch (d.Kind)
        {
            case DpoKind.Drop:
                return "[@0]: dpo-drop ip4";
            case DpoKind.Receive:
                return $"[@2]: dpo-receive: {Ip4Address.Format(d.Address)} on {If(d.SwIfIndex)}";
            case DpoKind.Glean:
                {
                    var i = _dp.Interface(d.SwIfIndex);
                    return $"[@4]: ipv4-glean: {If(d.SwIfIndex)}: mtu:{i?.Mtu} ffffffffffff{(i?.Mac.ToString() ?? string.Empty).Replace(":", string.Empty, StringComparison.Ordinal)}0806";
                }

            case DpoKind.LookupInTable:
                return $"[@3]: dst-address,unicast lookup in {_dp.FibArray[d.TableIndex]?.Name}";
            case DpoKind.Recursive:
                return $"[@6]: recursive via {Ip4Address.Format(d.Address)}";
            default:
                {
                    var adjs = _dp.Neighbors.Adjacencies;
                    var adj = (uint)d.AdjIndex < (uint)adjs.Length ? adjs[d.AdjIndex] : null;
                    if (adj is null)
                    {
                        return $"[@5]: adjacency {d.AdjIndex} (deleted)";
                    }

                    var rw = adj.Rewrite;
                    return rw is null
                        ? $"[@3]: arp-ipv4: via {Ip4Address.Format(adj.NextHop)} {If(adj.SwIfIndex)}"
                        : $"[@5]: ipv4 via {Ip4Address.Format(adj.NextHop)} {If(adj.SwIfIndex)}: mtu:{_dp.Interface(adj.SwIfIndex)?.Mtu} next:{adj.Index} {Convert.ToHexStringLower(rw)}";
                }
        }
    }

    private string ShowIpTable(CliArgs a)
    {
        uint? id = a.AtEnd ? null : a.UInt("table id");
        var sb = new StringBuilder();
        foreach (var t in _dp.Tables)
        {
            if (id is null || t.TableId == id)
            {
                sb.Append(CultureInfo.InvariantCulture, $"[{t.Index}] table_id:{t.TableId} {t.Name}\n");
            }
        }

        return sb.ToString();
    }

    private string IpTable(CliArgs a)
    {
        var del = a.Keyword("del", "delete");
        _ = a.Keyword("add");
        if (a.AtEnd)
        {
            uint id = 1;
            while (_dp.FindTable(id) is not null)
            {
                id++;
            }

            _dp.AddTable(id);
            return id.ToString(CultureInfo.InvariantCulture);
        }

        var tableId = a.UInt("table id");
        string? name = null;
        if (a.Keyword("name"))
        {
            name = a.Next("table name");
        }

        a.End();
        if (del)
        {
            _dp.DeleteTable(tableId);
        }
        else
        {
            if (tableId == 0 && name is null)
            {
                return string.Empty;
            }

            _dp.AddTable(tableId, name);
        }

        return string.Empty;
    }

    private string IpRoute(CliArgs a)
    {
        var del = false;
        uint table = 0;
        Ip4Prefix? prefix = null;
        var paths = new List<RouteSpec>();
        var count = 1u;
        while (!a.AtEnd)
        {
            if (a.Keyword("add"))
            {
                continue;
            }

            if (a.Keyword("del", "delete"))
            {
                del = true;
            }
            else if (a.Keyword("table"))
            {
                table = a.UInt("table id");
            }
            else if (a.Keyword("count"))
            {
                count = a.UInt("count");
            }
            else if (a.Keyword("via"))
            {
                paths.Add(ParsePath(a));
            }
            else if (prefix is null)
            {
                var t = a.Next("destination");
                prefix = Ip4Prefix.TryParseAddress(t, out var p) && t.Contains('/', StringComparison.Ordinal) ? p
                    : throw new CliException($"expected ip4/ip6 destination address/length, got `{t}'");
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (prefix is not { } pf)
        {
            throw new CliException("expected ip4/ip6 destination address/length.");
        }

        var done = 0;
        for (var k = 0u; k < count; k++)
        {
            var dst = new Ip4Prefix(new Contiv.Linux.Ip4(pf.Network + (k << (32 - Math.Max(pf.Length, 1)))), pf.Length);
            if (del && paths.Count == 0)
            {
                _dp.DeleteRoutes(table, dst);
                done++;
                continue;
            }

            if (paths.Count == 0)
            {
                throw new CliException("expected paths.");
            }

            foreach (var p in paths)
            {
                var r = p with { TableId = table, Prefix = dst };
                if (del)
                {
                    if (!_dp.DeleteRoute(r))
                    {
                        throw new CliException($"route {dst} in table {table} with that path not found");
                    }
                }
                else
                {
                    _dp.AddRoute(r);
                }
            }

            done++;
        }

        return count > 1 ? $"{done} routes" : string.Empty;
    }

    private RouteSpec ParsePath(CliArgs a)
    {
        if (a.Keyword("drop"))
        {
            return new RouteSpec { Kind = RouteKind.Drop };
        }

        if (a.Keyword("local"))
        {
            return new RouteSpec { Kind = RouteKind.Local };
        }

        if (a.Keyword("ip4-lookup-in-table", "next-hop-table"))
        {
            return new RouteSpec { Kind = RouteKind.InterVrf, ViaTableId = a.UInt("table id") };
        }

        uint nh = 0;
        var sw = -1;
        if (a.Peek is { } t && Ip4Address.TryParse(t, out var addr))
        {
            a.Next("next hop");
            nh = addr;
        }

        if (a.PeekInterface())
        {
            sw = a.Interface().SwIfIndex;
        }

        if (nh == 0 && sw < 0)
        {
            throw new CliException($"expected next hop address or interface after via, got `{a.Rest}'");
        }

        var spec = new RouteSpec { Kind = RouteKind.Forward, NextHop = nh, OutSwIfIndex = sw };
        while (true)
        {
            if (a.Keyword("weight"))
            {
                spec = spec with { Weight = (int)a.UInt("weight") };
            }
            else if (a.Keyword("preference"))
            {
                spec = spec with { Preference = (int)a.UInt("preference") };
            }
            else
            {
                return spec;
            }
        }
    }

    private string SetAddress(CliArgs a)
    {
        var del = a.Keyword("del", "delete");
        var intf = a.Interface();
        if (del && a.Keyword("all"))
        {
            foreach (var p in intf.Addresses.ToArray())
            {
                _dp.DeleteAddress(intf, p);
            }

            return string.Empty;
        }

        var prefix = a.Prefix("<ip-addr>/<mask>");
        a.End();
        if (del)
        {
            if (!_dp.DeleteAddress(intf, prefix))
            {
                throw new CliException($"address {prefix} not found on {intf.DevName}");
            }
        }
        else
        {
            _dp.AddAddress(intf, prefix);
        }

        return string.Empty;
    }

    private string SetIpTable(CliArgs a)
    {
        var intf = a.Interface();
        var id = a.UInt("table id");
        a.End();
        _dp.SetInterfaceTable(intf, id);
        return string.Empty;
    }

    private string SetUnnumbered(CliArgs a)
    {
        if (a.Keyword("del"))
        {
            var i = a.Interface();
            a.End();
            _dp.SetUnnumbered(i, null);
            return string.Empty;
        }

        var intf = a.Interface();
        if (!a.Keyword("use"))
        {
            throw new CliException($"expected `use <interface>', got `{a.Rest}'");
        }

        var donor = a.Interface();
        a.End();
        _dp.SetUnnumbered(intf, donor);
        return string.Empty;
    }
}
