using Contiv.Linux;
using System.Globalization;
using System.Text;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using static Contiv.Vpp.Cli.CliFormat;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, interfaces: create/delete TAP, host-interface and loopback, state, MTU, MAC; show interface/hardware-interfaces; clear interfaces.</summary>
internal sealed class InterfaceCommands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("show interface", "show interface [address|addr] [<interface> ...]", ShowInterface);
        cli.Register("show hardware-interfaces", "show hardware-interfaces [brief] [<interface> ...]", ShowHardware);
        cli.Register("create tap", "create tap {id <if-id>} [hw-addr <mac-address>] [host-ns <netns>] [host-ip4-addr <ip4addr/mask>] [host-ip4-gw <ip4-addr>] [host-mac-addr <host-mac-address>] [host-if-name <name>] [host-mtu-size <size>] [no-gso|gso|csum-offload]", CreateTap);
        cli.Register("delete tap", "delete tap {<interface> | sw_if_index <sw_idx>}", DeleteInterfaceCmd);
        cli.Register("create host-interface", "create host-interface name <ifname> [hw-addr <mac-addr>]", CreateHostInterface);
        cli.Register("delete host-interface", "delete host-interface name <ifname>", DeleteHostInterface);
        cli.Register("create loopback interface", "create loopback interface [mac <mac-addr>] [instance <instance>]", CreateLoopback);
        cli.Register("loopback create-interface", "loopback create-interface [mac <mac-addr>] [instance <instance>]", CreateLoopback);
        cli.Register("delete loopback interface", "delete loopback interface intfc <interface>", DeleteLoopback);
        cli.Register("set interface state", "set interface state <interface> [up|down]", SetState);
        cli.Register("set interface mtu", "set interface mtu [packet|ip4] <value> <interface>", SetMtu);
        cli.Register("set interface mac address", "set interface mac address <interface> <mac-address>", SetMac);
        cli.Register("clear interfaces", "Clear interfaces statistics", ClearInterfaces);
        cli.Register("bvi create", "bvi create [mac <mac-addr>] [instance <0-N>]", CreateLoopback);
    }

    private string ShowInterface(CliArgs a)
    {
        if (a.Keyword("address", "addr"))
        {
            return ShowInterfaceAddress(SelectInterfaces(a));
        }

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Center("Name", 32)}{Center("Idx", 5)}{Center("State", 10)}{Center("MTU (L3/IP4/IP6/MPLS)", 21)}{Center("Counter", 16)}{Center("Count", 16)}\n");
        foreach (var i in SelectInterfaces(a))
        {
            var c = CliEngine.SumCounters(_dp, i.SwIfIndex);
            var counters = new List<(string, long)>();
            void Add(string n, long v)
            {
                if (v != 0)
                {
                    counters.Add((n, v));
                }
            }

            Add("rx packets", c.RxPackets);
            Add("rx bytes", c.RxBytes);
            Add("tx packets", c.TxPackets);
            Add("tx bytes", c.TxBytes);
            Add("drops", c.Drops);
            Add("punt", c.Punts);
            Add("ip4", c.Ip4);
            Add("rx-no-buf", c.RxNoBuf);
            Add("rx-error", c.RxErrors);
            Add("tx-error", c.TxErrors);
            Add("tx-queue-full", c.TxQueueFull);
            var state = i.AdminUp ? "up" : "down";
            var mtu = $"{i.Mtu}/0/0/0";
            sb.Append(CultureInfo.InvariantCulture, $"{i.DevName,-32}{Center(i.SwIfIndex.ToString(CultureInfo.InvariantCulture), 5)}{Center(state, 10)}{Center(mtu, 21)}");
            if (counters.Count == 0)
            {
                sb.Append('\n');
                continue;
            }

            for (var k = 0; k < counters.Count; k++)
            {
                if (k > 0)
                {
                    sb.Append(new string(' ', 68));
                }

                sb.Append(CultureInfo.InvariantCulture, $"{counters[k].Item1,-16}{counters[k].Item2,16}\n");
            }
        }

        return sb.ToString();
    }

    private string ShowInterfaceAddress(List<SwInterface> list)
    {
        var sb = new StringBuilder();
        foreach (var i in list)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{i.DevName} ({(i.AdminUp ? "up" : "dn")}):\n");
            if (i.BridgeDomain >= 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  L2 bridge bd-id {(_dp.BridgeDomainArray[i.BridgeDomain]?.Id.ToString(CultureInfo.InvariantCulture) ?? "?")} idx {i.BridgeDomain} shg {i.SplitHorizonGroup}{(i.IsBvi ? " bvi" : string.Empty)}\n");
            }

            var table = _dp.FibArray[i.FibIndex]!;
            var vrf = i.FibIndex == 0 ? string.Empty : $" ip4 table-id {table.TableId} fib-idx {table.Index}";
            if (i.UnnumberedTo >= 0 && _dp.Interface(i.UnnumberedTo) is { } donor)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  unnumbered, use {donor.DevName}\n");
                foreach (var p in donor.Addresses)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"  L3 {p}{vrf}\n");
                }

                continue;
            }

            foreach (var p in i.Addresses)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  L3 {p}{vrf}\n");
            }
        }

        return sb.ToString();
    }

    private List<SwInterface> SelectInterfaces(CliArgs a)
    {
        var list = new List<SwInterface>();
        while (!a.AtEnd)
        {
            var t = a.Next("interface");
            var i = (uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) ? _dp.Interface((int)idx) : null)
                ?? _dp.FindInterface(t) ?? throw new CliException($"unknown input `{t}'");
            list.Add(i);
        }

        if (list.Count == 0)
        {
            list.AddRange(_dp.Interfaces);
        }

        list.Sort((x, y) => string.CompareOrdinal(x.DevName, y.DevName));
        return list;
    }

    private string ShowHardware(CliArgs a)
    {
        var brief = a.Keyword("brief");
        _ = a.Keyword("verbose", "detail");
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Center("Name", 32)}{Center("Idx", 5)}{Center("Link", 7)}Hardware\n");
        foreach (var i in SelectInterfaces(a))
        {
            var link = i.OperUp ? "up" : "down";
            sb.Append(CultureInfo.InvariantCulture, $"{i.DevName,-32}{Center(i.HwIfIndex.ToString(CultureInfo.InvariantCulture), 5)}{Center(link, 7)}{i.DevName}\n");
            if (brief)
            {
                continue;
            }

            sb.Append("  Link speed: unknown\n");
            var queues = i.RxQueueWorkers;
            if (queues.Length > 0)
            {
                sb.Append("  RX Queues:\n    queue thread         mode\n");
                for (var q = 0; q < queues.Length; q++)
                {
                    var w = queues[q].Context;
                    sb.Append(CultureInfo.InvariantCulture, $"    {q,-5} {w.Name} ({w.Index})  {(_dp.Options.PollMode ? "polling" : "interrupt")}\n");
                }
            }

            if (i.Kind != InterfaceKind.Local)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  Ethernet address {i.Mac}\n");
            }

            sb.Append("  ").Append(i.Device?.HardwareDescription ?? "local").Append('\n');
            if (i.Tap is { } t)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    host-if-name {t.HostIfName}{(t.HostNamespace.Length > 0 ? " host-ns " + t.HostNamespace : string.Empty)}\n");
            }
            else if (i.HostIfName is { } h)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    host-if-name {h}\n");
            }
        }

        return sb.ToString();
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

    private string ClearInterfaces(CliArgs a)
    {
        _dp.ClearInterfaceCounters();
        return string.Empty;
    }
}
