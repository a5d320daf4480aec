using System.Globalization;
using System.Text;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using static Contiv.Vpp.Cli.CliFormat;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, neighbours (ARP) and proxy ARP: set ip neighbor, set interface proxy-arp, set arp proxy; show ip neighbors, show proxy-arp.</summary>
internal sealed class NeighborCommands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("show ip neighbors", "show ip neighbors [interface]", ShowNeighbors);
        cli.Register("show ip arp", "show ip arp (alias of show ip neighbors)", ShowNeighbors);
        cli.Register("show proxy-arp", "show proxy-arp", ShowProxyArp);
        cli.Register("set interface proxy-arp", "set interface proxy-arp <intfc> [enable|disable]", SetProxyArp);
        cli.Register("set arp proxy", "set arp proxy [del] table-ID <table-ID> start <start-address> end <end-addres>", SetArpProxy);
        cli.Register("set ip neighbor", "set ip neighbor [del] <intfc> <ip-address> <mac-address> [static]", SetNeighbor);
        cli.Register("ip neighbor", "ip neighbor [del] <intfc> <ip-address> <mac-address> [static]", SetNeighbor);
        cli.Register("set ip arp", "set ip arp [del] <intfc> <ip-address> <mac-address> [static]", SetNeighbor);
    }

    private string ShowNeighbors(CliArgs a)
    {
        SwInterface? only = a.AtEnd ? null : a.Interface();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Center("Age", 12)}{Center("IP", 40)}{Center("Flags", 6)}{Center("Ethernet", 20)}{Center("Interface", 24)}\n");
        var list = _dp.NeighborSnapshot();
        list.Sort((x, y) => x.SwIfIndex != y.SwIfIndex ? x.SwIfIndex.CompareTo(y.SwIfIndex) : x.Ip.CompareTo(y.Ip));
        foreach (var n in list)
        {
            if (only is not null && n.SwIfIndex != only.SwIfIndex)
            {
                continue;
            }

            var flags = n.Mac is null ? "P" : n.Static ? "S" : "D";
            var mac = n.Mac?.ToString() ?? "00:00:00:00:00:00";
            sb.Append(CultureInfo.InvariantCulture, $"{n.AgeSeconds,12:F4}{Center(Ip4Address.Format(n.Ip), 40)}{Center(flags, 6)}{Center(mac, 20)}{_dp.Interface(n.SwIfIndex)?.DevName}\n");
        }

        return sb.ToString();
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

    private string ShowProxyArp(CliArgs a)
    {
        var sb = new StringBuilder("Proxy arps enabled for:\n");
        foreach (var r in _dp.ProxyArpRanges)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Fib_index {r.TableId}   {Ip4Address.Format(r.First)} - {Ip4Address.Format(r.Last)}\n");
        }

        return sb.ToString();
    }
}
