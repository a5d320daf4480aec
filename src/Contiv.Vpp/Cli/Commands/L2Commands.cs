using System.Globalization;
using System.Text;
using Contiv.Vpp.Ethernet;
using static Contiv.Vpp.Cli.CliFormat;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, L2: bridge domains, members, L2 FIB; show bridge-domain/l2fib.</summary>
internal sealed class L2Commands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("create bridge-domain", "create bridge-domain <bridge-domain-id> [learn <0|1>] [forward <0|1>] [uu-flood <0|1>] [flood <0|1>] [arp-term <0|1>] [mac-age <nn>] [bd-tag <tag>] [del]", CreateBridgeDomain);
        cli.Register("set interface l2 bridge", "set interface l2 bridge <interface> <bridge-domain-id> [bvi] [shg]", SetL2Bridge);
        cli.Register("set interface l3", "set interface l3 <interface>", SetL3);
        cli.Register("l2fib add", "l2fib add <mac> <bridge-domain-id> <intf> [static | bvi]", L2FibAdd);
        cli.Register("l2fib del", "l2fib del <mac> <bridge-domain-id>", L2FibDel);
        cli.Register("show bridge-domain", "show bridge-domain [bridge-domain-id [detail|int]]", ShowBridgeDomain);
        cli.Register("show l2fib", "show l2fib [all] | [bd_id <nn>]", ShowL2Fib);
    }

    private static bool Bit(CliArgs a, string what)
    {
        var t = a.Next(what);
        return t switch
        {
            "1" or "on" or "enable" => true,
            "0" or "off" or "disable" => false,
            _ => throw new CliException($"expected 0 or 1 for {what}, got `{t}'"),
        };
    }

    private string CreateBridgeDomain(CliArgs a)
    {
        var id = a.UInt("bridge-domain-id");
        var existing = _dp.FindBridgeDomain(id);
        var s = existing is null ? new BridgeDomainSettings() : new BridgeDomainSettings
        {
            Name = existing.Name, Learn = existing.Learn, Forward = existing.Forward, Flood = existing.Flood,
            UnknownUnicastFlood = existing.UnknownUnicastFlood, ArpTermination = existing.ArpTermination, MacAgeMinutes = existing.MacAgeMinutes,
        };
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("learn"))
            {
                s = s with { Learn = Bit(a, "learn") };
            }
            else if (a.Keyword("forward"))
            {
                s = s with { Forward = Bit(a, "forward") };
            }
            else if (a.Keyword("flood"))
            {
                s = s with { Flood = Bit(a, "flood") };
            }
            else if (a.Keyword("uu-flood"))
            {
                s = s with { UnknownUnicastFlood = Bit(a, "uu-flood") };
            }
            else if (a.Keyword("arp-term"))
            {
                s = s with { ArpTermination = Bit(a, "arp-term") };
            }
            else if (a.Keyword("arp-ufwd"))
            {
                _ = Bit(a, "arp-ufwd");
            }
            else if (a.Keyword("mac-age"))
            {
                s = s with { MacAgeMinutes = (int)a.UInt("mac-age minutes") };
            }
            else if (a.Keyword("bd-tag"))
            {
                s = s with { Name = a.Next("bd-tag") };
            }
            else if (a.Keyword("del"))
            {
                del = true;
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (del)
        {
            _dp.DeleteBridgeDomain(id);
            return string.Empty;
        }

        _dp.PutBridgeDomain(id, s);
        return $"bridge-domain {id}";
    }

    private string SetL2Bridge(CliArgs a)
    {
        var intf = a.Interface();
        var id = a.UInt("bridge-domain-id");
        var bvi = false;
        var shg = 0;
        while (!a.AtEnd)
        {
            if (a.Keyword("bvi"))
            {
                bvi = true;
            }
            else if (a.Keyword("uu-fwd"))
            {
                throw new CliException("uu-fwd is not supported");
            }
            else
            {
                shg = (int)a.UInt("split horizon group");
            }
        }

        _dp.SetL2Bridge(intf, id, bvi, shg);
        return string.Empty;
    }

    private string SetL3(CliArgs a)
    {
        var intf = a.Interface();
        a.End();
        _dp.SetL3(intf);
        return string.Empty;
    }

    private string L2FibAdd(CliArgs a)
    {
        var mac = a.Mac("mac address");
        var bd = a.UInt("bridge-domain-id");
        var intf = a.Interface();
        var isStatic = a.Keyword("static");
        var bvi = a.Keyword("bvi");
        a.End();
        _dp.AddL2Fib(bd, mac, intf, isStatic, bvi);
        return string.Empty;
    }

    private string L2FibDel(CliArgs a)
    {
        var mac = a.Mac("mac address");
        var bd = a.UInt("bridge-domain-id");
        a.End();
        if (!_dp.DeleteL2Fib(bd, mac))
        {
            throw new CliException($"l2fib entry {mac} not found in bridge domain {bd}");
        }

        return string.Empty;
    }

    private string ShowBridgeDomain(CliArgs a)
    {
        uint? id = null;
        var detail = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("detail", "int"))
            {
                detail = true;
            }
            else
            {
                id = a.UInt("bridge-domain-id");
            }
        }

        var list = _dp.BridgeDomains.Where(b => id is null || b.Id == id).ToList();
        if (list.Count == 0)
        {
            return id is null ? "no bridge-domains in use" : throw new CliException($"No such bridge domain {id}");
        }

        var sb = new StringBuilder();
        foreach (var bd in list)
        {
            sb.Append("  BD-ID   Index   BSN  Age(min)  Learning  U-Forwrd   UU-Flood   Flooding  ARP-Term  arp-ufwd Learn-count Learn-limit   BVI-Intf\n");
            string On(bool b) => b ? "on" : "off";
            var bvi = bd.Bvi >= 0 ? _dp.Interface(bd.Bvi)?.DevName ?? "N/A" : "N/A";
            sb.Append(CultureInfo.InvariantCulture, $"{bd.Id,5}{bd.Index,8}{0,7}{(bd.MacAgeMinutes == 0 ? "off" : bd.MacAgeMinutes.ToString(CultureInfo.InvariantCulture)),8}{On(bd.Learn),11}{On(bd.Forward),10}{(bd.UnknownUnicastFlood ? "flood" : "drop"),11}{On(bd.Flood),11}{On(bd.ArpTermination),10}{"off",10}{bd.LearnedCount,12}{4194304,12}{bvi,11}\n");
            if (detail || id is not null)
            {
                sb.Append('\n').Append("           Interface           If-idx ISN  SHG  BVI  TxFlood        VLAN-Tag-Rewrite\n");
                foreach (var sw in bd.Members)
                {
                    var i = _dp.Interface(sw);
                    sb.Append(CultureInfo.InvariantCulture, $"{Center(i?.DevName ?? "?", 30)}{sw,6}{1,5}{i?.SplitHorizonGroup ?? 0,5}{(i?.IsBvi == true ? "*" : "-"),5}{"*",7}{"none",24}\n");
                }
            }
        }

        return sb.ToString();
    }

    private string ShowL2Fib(CliArgs a)
    {
        var all = false;
        uint? bdId = null;
        while (!a.AtEnd)
        {
            if (a.Keyword("all", "verbose"))
            {
                all = true;
            }
            else if (a.Keyword("bd_id"))
            {
                bdId = a.UInt("bd_id");
                all = true;
            }
            else if (a.Keyword("learn", "add", "raw"))
            {
                all = true;
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        var sb = new StringBuilder();
        var total = 0;
        var learned = 0;
        if (all)
        {
            sb.Append("    Mac-Address     BD-Idx If-Idx BSN-ISN Age(min) static filter bvi         Interface-Name\n");
        }

        foreach (var bd in _dp.BridgeDomains)
        {
            if (bdId is not null && bd.Id != bdId)
            {
                continue;
            }

            foreach (var e in bd.Fib.Values.OrderBy(e => e.Mac))
            {
                total++;
                learned += e.Static ? 0 : 1;
                if (all)
                {
                    var age = e.Static ? "no" : bd.MacAgeMinutes == 0 ? "-" : ((Environment.TickCount64 - e.LastSeenTicks) / 60_000).ToString(CultureInfo.InvariantCulture);
                    sb.Append(CultureInfo.InvariantCulture, $" {new MacAddress(e.Mac)}{bd.Index,5}{e.SwIfIndex,7}{"0/0",9}{age,8}{(e.Static ? "*" : "-"),8}{"-",7}{(e.Bvi ? "*" : "-"),6}{_dp.Interface(e.SwIfIndex)?.DevName,23}\n");
                }
            }
        }

        sb.Append(CultureInfo.InvariantCulture, $"L2FIB total/learned entries: {total}/{learned}  Last scan time: 0.0000e0sec  Learn limit: 4194304\n");
        return sb.ToString();
    }
}
