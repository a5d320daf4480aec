using System.Globalization;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Cli;

public sealed partial class CliEngine
{
    private void RegisterConfig()
    {
        Register("create tap", "create tap {id <if-id>} [hw-addr <mac-address>] [host-ns <netns>] [host-ip4-addr <ip4addr/mask>] [host-ip4-gw <ip4-addr>] [host-mac-addr <host-mac-address>] [host-if-name <name>] [host-mtu-size <size>] [no-gso|gso|csum-offload]", CreateTap);
        Register("delete tap", "delete tap {<interface> | sw_if_index <sw_idx>}", DeleteInterfaceCmd);
        Register("create host-interface", "create host-interface name <ifname> [hw-addr <mac-addr>]", CreateHostInterface);
        Register("delete host-interface", "delete host-interface name <ifname>", DeleteHostInterface);
        Register("create loopback interface", "create loopback interface [mac <mac-addr>] [instance <instance>]", CreateLoopback);
        Register("loopback create-interface", "loopback create-interface [mac <mac-addr>] [instance <instance>]", CreateLoopback);
        Register("delete loopback interface", "delete loopback interface intfc <interface>", DeleteLoopback);
        Register("set interface state", "set interface state <interface> [up|down]", SetState);
        Register("set interface ip address", "set interface ip address [del] <interface> <ip-addr>/<mask> | [all]", SetAddress);
        Register("set interface ip table", "set interface ip table <interface> <table-id>", SetIpTable);
        Register("set interface unnumbered", "set interface unnumbered [<interface> use <interface> | del <interface>]", SetUnnumbered);
        Register("set interface mtu", "set interface mtu [packet|ip4] <value> <interface>", SetMtu);
        Register("set interface mac address", "set interface mac address <interface> <mac-address>", SetMac);
        Register("set interface proxy-arp", "set interface proxy-arp <intfc> [enable|disable]", SetProxyArp);
        Register("set arp proxy", "set arp proxy [del] table-ID <table-ID> start <start-address> end <end-addres>", SetArpProxy);
        Register("ip table", "ip table [add|del] <table-id> [name <name>]", IpTable);
        Register("ip route", "ip route [add|del] <dst-ip-addr>/<width> [table <table-id>] via [next-hop-address] [next-hop-interface] | via drop | via local | via ip4-lookup-in-table <id>", IpRoute);
        Register("set ip neighbor", "set ip neighbor [del] <intfc> <ip-address> <mac-address> [static]", SetNeighbor);
        Register("ip neighbor", "ip neighbor [del] <intfc> <ip-address> <mac-address> [static]", SetNeighbor);
        Register("set ip arp", "set ip arp [del] <intfc> <ip-address> <mac-address> [static]", SetNeighbor);
        Register("trace add", "trace add <input-graph-node> <add'l-pkts-for-node->", TraceAdd);
        Register("clear trace", "Clear trace buffer and free memory", ClearTrace);
        Register("clear interfaces", "Clear interfaces statistics", ClearInterfaces);
        Register("clear runtime", "Clear node runtime statistics", ClearRuntime);
        Register("clear errors", "Clear error counters", ClearErrors);
        Register("clear node counters", "Clear error counters", ClearErrors);
    }

    private string CreateTap(CliArgs a)
    {
        int? id = null;
        string? hostName = null, hostNs = null;
        Ip4Prefix? hostIp = null;
        uint? gw = null;
        MacAddress? hw = null, hostMac = null;
        var hostMtu = 0;
        var gso = true;
        string? ifName = null;
        while (!a.AtEnd)
        {
            if (a.Keyword("id"))
            {
                id = (int)a.UInt("tap id");
            }
            else if (a.Keyword("host-if-name"))
            {
                hostName = a.Next("host-if-name");
            }
            else if (a.Keyword("host-ns"))
            {
                hostNs = a.Next("host-ns");
            }
            else if (a.Keyword("host-ip4-addr"))
            {
                hostIp = a.Prefix("host-ip4-addr <ip4addr/mask>");
            }
            else if (a.Keyword("host-ip4-gw"))
            {
                gw = a.Ip4("host-ip4-gw address");
            }
            else if (a.Keyword("hw-addr"))
            {
                hw = a.Mac("hw-addr MAC address");
            }
            else if (a.Keyword("host-mac-addr"))
            {
                hostMac = a.Mac("host-mac-addr MAC address");
            }
            else if (a.Keyword("host-mtu-size"))
            {
                hostMtu = (int)a.UInt("host-mtu-size");
            }
            else if (a.Keyword("if-name"))
            {
                ifName = a.Next("if-name");
            }
            else if (a.Keyword("no-gso"))
            {
                gso = false;
            }
            else if (a.Keyword("gso", "csum-offload", "gro-coalesce", "persist", "packed", "in-order"))
            {
                gso = true;
            }
            else if (a.Keyword("rx-ring-size", "tx-ring-size", "num-rx-queues", "num-tx-queues"))
            {
                _ = a.UInt("ring size or queue count");
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        var tapId = id ?? -1;
        var settings = new TapSettings
        {
            Id = tapId,
            HostIfName = hostName ?? string.Empty,
            HostNamespace = hostNs ?? string.Empty,
            HostIp4 = hostIp,
            HostIp4Gateway = gw,
            HostMac = hostMac,
            HostMtu = hostMtu,
            Gso = gso,
        };
        if (string.IsNullOrEmpty(hostName))
        {
            // Like the kernel's default: tap<id> (the id is resolved by the data plane).
            settings = settings with { HostIfName = $"tap{(id ?? NextTapId())}" };
            if (id is null)
            {
                settings = settings with { Id = int.Parse(settings.HostIfName.AsSpan(3), CultureInfo.InvariantCulture) };
            }
        }

        var intf = _dp.CreateTap(settings, hw, ifName);
        return intf.DevName;
    }

    private int NextTapId()
    {
        for (var i = 0; ; i++)
        {
            if (_dp.FindInterface($"tap{i}") is null)
            {
                return i;
            }
        }
    }

    private string DeleteInterfaceCmd(CliArgs a)
    {
        SwInterface intf;
        if (a.Keyword("sw_if_index"))
        {
            var idx = a.UInt("sw_if_index");
            intf = _dp.Interface((int)idx) ?? throw new CliException($"unknown sw_if_index {idx}");
        }
        else
        {
            intf = a.Interface();
        }

        a.End();
        _dp.DeleteInterface(intf);
        return string.Empty;
    }

    private string CreateHostInterface(CliArgs a)
    {
        string? name = null;
        MacAddress? hw = null;
        while (!a.AtEnd)
        {
            if (a.Keyword("name"))
            {
                name = a.Next("host interface name");
            }
            else if (a.Keyword("hw-addr"))
            {
                hw = a.Mac("hw-addr MAC address");
            }
            else if (a.Keyword("v2", "qdisc-bypass-disable", "cksum-gso-disable"))
            {
                // accepted; TPACKET_V3 with offloads is always used
            }
            else if (a.Keyword("num-rx-queues", "num-tx-queues"))
            {
                _ = a.UInt("queue count");
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (name is null)
        {
            throw new CliException("missing host interface name");
        }

        return _dp.CreateAfPacket(name, hw).DevName;
    }

    private string DeleteHostInterface(CliArgs a)
    {
        _ = a.Keyword("name");
        var n = a.Next("host interface name");
        a.End();
        var intf = _dp.FindInterface("host-" + n) ?? throw new CliException($"unknown host interface `{n}'");
        _dp.DeleteInterface(intf);
        return string.Empty;
    }

    private string CreateLoopback(CliArgs a)
    {
        MacAddress? mac = null;
        int? instance = null;
        while (!a.AtEnd)
        {
            if (a.Keyword("mac"))
            {
                mac = a.Mac("mac address");
            }
            else if (a.Keyword("instance"))
            {
                instance = (int)a.UInt("instance");
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        return _dp.CreateLoopback(mac, instance).DevName;
    }

    private string DeleteLoopback(CliArgs a)
    {
        _ = a.Keyword("intfc");
        var intf = a.Interface();
        a.End();
        if (intf.Kind != InterfaceKind.Loopback)
        {
            throw new CliException($"{intf.DevName} is not a loopback interface");
        }

        _dp.DeleteInterface(intf);
        return string.Empty;
    }

    private string SetState(CliArgs a)
    {
        var intf = a.Interface();
        bool up;
        if (a.Keyword("up"))
        {
            up = true;
        }
        else if (a.Keyword("down"))
        {
            up = false;
        }
        else
        {
            throw new CliException($"unknown input `{a.Rest}'");
        }

        a.End();
        _dp.SetAdminState(intf, up);
        return string.Empty;
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

    private string SetMtu(CliArgs a)
    {
        _ = a.Keyword("packet", "ip4");
        var mtu = a.UInt("MTU value");
        var intf = a.Interface();
        a.End();
        _dp.SetMtu(intf, (int)mtu);
        return string.Empty;
    }

    private string SetMac(CliArgs a)
    {
        var intf = a.Interface();
        var mac = a.Mac("mac address");
        a.End();
        _dp.SetMac(intf, mac);
        return string.Empty;
    }

    private string SetProxyArp(CliArgs a)
    {
        var intf = a.Interface();
        var enable = !a.Keyword("disable");
        _ = a.Keyword("enable");
        a.End();
        _dp.SetProxyArp(intf, enable);
        return string.Empty;
    }

    private string SetArpProxy(CliArgs a)
    {
        var del = a.Keyword("del");
        uint table = 0;
        uint? start = null, end = null;
        while (!a.AtEnd)
        {
            if (a.Keyword("table-ID", "table-id", "table"))
            {
                table = a.UInt("table id");
            }
            else if (a.Keyword("start"))
            {
                start = a.Ip4("start address");
            }
            else if (a.Keyword("end"))
            {
                end = a.Ip4("end address");
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (start is null || end is null)
        {
            throw new CliException("specify start and end addresses");
        }

        var range = new ProxyArpRange(table, start.Value, end.Value);
        if (del)
        {
            _dp.DeleteProxyArpRange(range);
        }
        else
        {
            _dp.AddProxyArpRange(range, []);
        }

        return string.Empty;
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
                prefix = Ip4Prefix.TryParse(t, out var p) && t.Contains('/', StringComparison.Ordinal) ? p
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
            var dst = new Ip4Prefix(pf.Network + (k << (32 - Math.Max(pf.Length, 1))), pf.Length);
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

    private string SetNeighbor(CliArgs a)
    {
        var del = false;
        var isStatic = false;
        SwInterface? intf = null;
        uint? ip = null;
        MacAddress? mac = null;
        while (!a.AtEnd)
        {
            if (a.Keyword("del", "delete"))
            {
                del = true;
            }
            else if (a.Keyword("static"))
            {
                isStatic = true;
            }
            else if (a.Keyword("no-fib-entry"))
            {
                // accepted
            }
            else if (intf is null)
            {
                intf = a.Interface();
            }
            else if (ip is null)
            {
                ip = a.Ip4("IP address");
            }
            else if (mac is null)
            {
                mac = a.Mac("MAC address");
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (intf is null || ip is null || (mac is null && !del))
        {
            throw new CliException("specify interface, IP address and MAC");
        }

        if (del)
        {
            if (!_dp.DeleteNeighbor(intf, ip.Value))
            {
                throw new CliException($"no neighbor {Ip4Address.Format(ip.Value)} on {intf.DevName}");
            }
        }
        else
        {
            _dp.SetNeighbor(intf, ip.Value, mac!.Value, isStatic);
        }

        return string.Empty;
    }

    private string TraceAdd(CliArgs a)
    {
        var name = a.Next("input graph node");
        if (name is "virtio-input")
        {
            name = Dataplane.TapInputNodeName;
        }

        var node = _dp.Graph.Find(name) ?? throw new CliException($"node '{name}' not found");
        if (node.Kind != NodeKind.Input)
        {
            throw new CliException($"node '{name}' doesn't support per-node tracing. There may be another way to initiate trace on this node.");
        }

        var count = (int)a.UInt("packet count");
        a.End();
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                ctx.TraceBudget[node.Index] = count == 0 ? 0 : ctx.TraceBudget[node.Index] + count;
                ctx.TracingActive = true;
            }
        });
        return string.Empty;
    }

    private string ClearTrace(CliArgs a)
    {
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                Array.Clear(ctx.TraceBudget);
                ctx.TracingActive = false;
                ctx.Trace.Clear();
            }
        });
        return string.Empty;
    }

    private string ClearInterfaces(CliArgs a)
    {
        _dp.ClearInterfaceCounters();
        return string.Empty;
    }

    private string ClearRuntime(CliArgs a)
    {
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                Array.Clear(ctx.Runtime);
            }
        });
        return string.Empty;
    }

    private string ClearErrors(CliArgs a)
    {
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                Array.Clear(ctx.ErrorCounters);
            }
        });
        return string.Empty;
    }
}
