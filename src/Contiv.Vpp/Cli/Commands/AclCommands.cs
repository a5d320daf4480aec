using System.Globalization;
using Contiv.Linux;
using Contiv.Vpp.Acl;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>
/// CLI module, ACL plugin (FD.io VPP's acl-plugin syntax): ACLs built by hand, interface lists, session
/// timeouts and the <c>show acl-plugin …</c> views. ACLs the API creates show up here by index.
/// </summary>
internal sealed class AclCommands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("set acl-plugin acl",
            "set acl-plugin acl [index <idx>] <permit|deny|permit+reflect> src <PREFIX> dst <PREFIX> [proto X] [sport X[-Y]] [dport X[-Y]] [tcpflags <int> mask <int>] [tag FOO] {use comma separated list for multiple rules}",
            SetAcl);
        cli.Register("set acl-plugin interface", "set acl-plugin interface <interface> <input|output> <acl INDEX> [del] ", SetInterface);
        cli.Register("delete acl-plugin acl", "delete acl-plugin acl index <idx>", DeleteAcl);
        cli.Register("set acl-plugin session timeout",
            "set acl-plugin session timeout {{udp idle}|tcp {idle|transient|closed}|icmp idle} <seconds>", SetTimeout);
        cli.Register("clear acl-plugin sessions", "clear acl-plugin sessions", _ =>
        {
            _dp.WithAcl(a => a.ClearSessions());
            return string.Empty;
        });
        cli.Register("show acl-plugin acl", "show acl-plugin acl [index N] [hits]", ShowAcl);
        cli.Register("show acl-plugin interface", "show acl-plugin interface [sw_if_index N] [acl]", ShowInterface);
        cli.Register("show acl-plugin sessions", "show acl-plugin sessions", _ => _dp.WithAcl(a => a.FormatSessions(_dp.NatNow())));
    }

    private string SetAcl(CliArgs a)
    {
        var line = a.Rest;
        while (!a.AtEnd)
        {
            a.Next("rule");
        }

        var index = -1;
        var tag = "cli";
        var rules = new List<AclRule>();
        foreach (var segment in line.Split(',', StringSplitOptions.TrimEntries))
        {
            var words = segment.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var w = 0;
            if (rules.Count == 0 && words.Length >= 2 && words[0] == "index")
            {
                index = (int)Number(words[1], "ACL index", int.MaxValue);
                w = 2;
            }

            rules.Add(ParseRule(words, w, ref tag));
        }

        try
        {
            return string.Create(CultureInfo.InvariantCulture, $"ACL index:{_dp.SetAcl(index, tag, [.. rules])}\n");
        }
        catch (KeyNotFoundException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static AclRule ParseRule(string[] words, int start, ref string tag)
    {
        AclAction? action = null;
        Ip4Prefix src = default, dst = default;
        uint proto = 0;
        (ushort Low, ushort High) sport = (0, ushort.MaxValue), dport = (0, ushort.MaxValue);
        uint flags = 0, mask = 0;
        var w = start;
        for (; w < words.Length; w++)
        {
            var word = words[w];
            string Arg(string what) => ++w < words.Length ? words[w] : throw new CliException($"missing {what}");
            switch (word)
            {
                case "permit":
                    action = AclAction.Permit;
                    break;
                case "deny":
                    action = AclAction.Deny;
                    break;
                case "permit+reflect":
                    action = AclAction.PermitReflect;
                    break;
                case "src":
                    src = Prefix(Arg("src prefix"), "src");
                    break;
                case "dst":
                    dst = Prefix(Arg("dst prefix"), "dst");
                    break;
                case "proto":
                    proto = Number(Arg("protocol"), "proto", byte.MaxValue);
                    break;
                case "sport":
                    sport = Range(Arg("sport"), "sport");
                    break;
                case "dport":
                    dport = Range(Arg("dport"), "dport");
                    break;
                case "tcpflags":
                    flags = Number(Arg("tcpflags"), "tcpflags", byte.MaxValue);
                    if (Arg("mask") != "mask")
                    {
                        throw new CliException("expected `mask <int>' after tcpflags");
                    }

                    mask = Number(Arg("tcpflags mask"), "tcpflags mask", byte.MaxValue);
                    break;
                case "tag":
                    tag = Arg("tag");
                    break;
                default:
                    throw new CliException($"unknown input `{string.Join(' ', words, w, words.Length - w)}'");
            }
        }

        if (action is null)
        {
            throw new CliException("expected permit, deny or permit+reflect");
        }

        try
        {
            return AclRule.Create(action.Value, src.Address.Value, src.Length, dst.Address.Value, dst.Length, (byte)proto,
                sport.Low, sport.High, dport.Low, dport.High, (byte)mask, (byte)flags);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static Ip4Prefix Prefix(string t, string what)
        => t.Contains('/', StringComparison.Ordinal) && Ip4Prefix.TryParseAddress(t, out var p) ? p : throw new CliException($"expected {what} <a.b.c.d/len>, got `{t}'");

    private static uint Number(string t, string what, uint max)
        => uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= max
            ? v : throw new CliException($"expected {what} 0-{max}, got `{t}'");

    private static (ushort Low, ushort High) Range(string t, string what)
    {
        var dash = t.IndexOf('-', StringComparison.Ordinal);
        var low = (ushort)Number(dash < 0 ? t : t[..dash], what, ushort.MaxValue);
        var high = dash < 0 ? low : (ushort)Number(t[(dash + 1)..], what, ushort.MaxValue);
        return low <= high ? (low, high) : throw new CliException($"{what} range `{t}' is reversed");
    }

    private string SetInterface(CliArgs a)
    {
        var intf = a.Interface();
        bool input;
        if (a.Keyword("input"))
        {
            input = true;
        }
        else if (a.Keyword("output"))
        {
            input = false;
        }
        else
        {
            throw new CliException($"expected input or output, got `{a.Rest}'");
        }

        if (!a.Keyword("acl"))
        {
            throw new CliException($"expected acl <index>, got `{a.Rest}'");
        }

        var index = (int)Math.Min(a.UInt("ACL index"), int.MaxValue);
        var del = a.Keyword("del", "delete");
        a.End();
        try
        {
            _dp.SetAclApplied(intf, input, index, add: !del);
        }
        catch (KeyNotFoundException e)
        {
            throw new CliException(e.Message);
        }

        return string.Empty;
    }

    private string DeleteAcl(CliArgs a)
    {
        if (!a.Keyword("index"))
        {
            throw new CliException($"expected index <idx>, got `{a.Rest}'");
        }

        var index = (int)Math.Min(a.UInt("ACL index"), int.MaxValue);
        a.End();
        try
        {
            _dp.DeleteAclIndex(index);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            throw new CliException(e.Message);
        }

        return string.Empty;
    }

    private string SetTimeout(CliArgs a)
    {
        var t = _dp.AclTimeouts;
        if (a.Keyword("udp") && a.Keyword("idle"))
        {
            t = t with { Udp = a.UInt("seconds") };
        }
        else if (a.Keyword("icmp") && a.Keyword("idle"))
        {
            t = t with { Icmp = a.UInt("seconds") };
        }
        else if (a.Keyword("tcp"))
        {
            t = a.Next("tcp timeout") switch
            {
                "idle" => t with { TcpEstablished = a.UInt("seconds") },
                "transient" => t with { TcpTransitory = a.UInt("seconds") },
                "closed" => t with { TcpClosed = a.UInt("seconds") },
                var w => throw new CliException($"expected idle, transient or closed, got `{w}'"),
            };
        }
        else
        {
            throw new CliException($"unknown input `{a.Rest}'");
        }

        a.End();
        _dp.AclTimeouts = t;
        return string.Empty;
    }

    private string ShowAcl(CliArgs a)
    {
        int? index = null;
        var hits = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("index"))
            {
                index = (int)Math.Min(a.UInt("ACL index"), int.MaxValue);
            }
            else if (a.Keyword("hits"))
            {
                hits = true;
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        return _dp.WithAcl(acl => acl.FormatAcls(index, hits));
    }

    private string ShowInterface(CliArgs a)
    {
        int? only = null;
        var withAcls = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("sw_if_index"))
            {
                only = (int)Math.Min(a.UInt("sw_if_index"), int.MaxValue);
            }
            else if (a.Keyword("acl", "detail"))
            {
                withAcls = true;
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        return _dp.WithAcl(acl =>
        {
            var ifs = new List<int>();
            foreach (var i in _dp.InterfaceArray)
            {
                if (i is not null)
                {
                    ifs.Add(i.SwIfIndex);
                }
            }

            return acl.FormatInterfaces(ifs, only, withAcls);
        });
    }
}
