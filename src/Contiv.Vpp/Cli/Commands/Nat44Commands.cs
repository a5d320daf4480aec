using System.Globalization;
using System.Text;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Nat;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>
/// CLI module, NAT44 (FD.io VPP's nat44-ed syntax): static, load-balancing and identity mappings, pool
/// addresses, interface roles, forwarding, timeouts and the <c>show nat44 …</c> views.
/// </summary>
internal sealed class Nat44Commands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("nat44 add static mapping",
            "nat44 add static mapping tcp|udp|icmp local <addr> [<port|icmp-echo-id>] external <addr> [<port|icmp-echo-id>] [vrf <table-id>] [twice-nat|self-twice-nat] [out2in-only] [exact <pool-addr>] [del]",
            AddStaticMapping);
        cli.Register("nat44 add load-balancing static mapping",
            "nat44 add load-balancing static mapping protocol tcp|udp external <addr>:<port> local <addr>:<port> [vrf <table-id>] probability <n> [twice-nat|self-twice-nat] [out2in-only] [affinity <timeout-seconds>] [del]",
            AddLoadBalancingMapping);
        cli.Register("nat44 add load-balancing back-end",
            "nat44 add load-balancing back-end protocol tcp|udp external <addr>:<port> local <addr>:<port> [vrf <table-id>] probability <n> [del]",
            AddBackEnd);
        cli.Register("nat44 add identity mapping",
            "nat44 add identity mapping <ip4-addr> [<protocol> <port>] [vrf <table-id>] [del]",
            AddIdentityMapping);
        cli.Register("nat44 add address", "nat44 add address <ip4-range-start> [- <ip4-range-end>] [tenant-vrf <vrf-id>] [twice-nat] [del]", AddAddress);
        cli.Register("set interface nat44", "set interface nat44 in <intfc> out <intfc> [output-feature] [del]", SetInterface);
        cli.Register("nat44 forwarding", "nat44 forwarding enable|disable", Forwarding);
        cli.Register("set nat timeout", "set nat timeout [udp <sec> | tcp-established <sec> | tcp-transitory <sec> | icmp <sec> | reset]", SetTimeout);
        cli.Register("show nat timeouts", "show nat timeouts", ShowTimeouts);
        cli.Register("show nat44 static mappings", "show nat44 static mappings", _ => Show(n => n.FormatStaticMappings()));
        cli.Register("show nat44 sessions", "show nat44 sessions [detail]", ShowSessions);
        cli.Register("show nat44 interfaces", "show nat44 interfaces", ShowInterfaces);
        cli.Register("show nat44 summary", "show nat44 summary", _ => Show(n => n.FormatSummary()));
        cli.Register("show nat44 addresses", "show nat44 addresses", _ => Show(n => n.FormatAddresses()));
    }

    private string Show(Func<Nat44, string> view) => _dp.WithNat(view);

    // The engine reports bad input as ArgumentException: the CLI prints it as its error line.
    private void Engine(Action<Nat44> action)
    {
        try
        {
            _dp.WithNat(action);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }
        catch (KeyNotFoundException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static NatProtocol Protocol(CliArgs a, bool allowIcmp)
    {
        var t = a.Next("protocol");
        return t.ToLowerInvariant() switch
        {
            "tcp" => NatProtocol.Tcp,
            "udp" => NatProtocol.Udp,
            "icmp" when allowIcmp => NatProtocol.Icmp,
            _ => throw new CliException($"unknown protocol `{t}'"),
        };
    }

    private static ushort Port(CliArgs a, string what)
    {
        var v = a.UInt(what);
        return v <= ushort.MaxValue ? (ushort)v : throw new CliException($"{what} {v} is out of range");
    }

    private static (uint Address, ushort Port) AddressPort(CliArgs a, string what)
    {
        var t = a.Next(what);
        var colon = t.LastIndexOf(':');
        if (colon > 0 && Ip4Address.TryParse(t[..colon], out var ip)
            && ushort.TryParse(t.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return (ip, port);
        }

        throw new CliException($"expected {what} <addr>:<port>, got `{t}'");
    }

    private string AddStaticMapping(CliArgs a)
    {
        var proto = NatProtocol.None;
        uint? local = null, external = null;
        ushort? lport = null, eport = null;
        uint vrf = 0, exact = 0;
        var flags = NatMappingFlags.None;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("tcp", "TCP"))
            {
                proto = NatProtocol.Tcp;
            }
            else if (a.Keyword("udp", "UDP"))
            {
                proto = NatProtocol.Udp;
            }
            else if (a.Keyword("icmp", "ICMP"))
            {
                proto = NatProtocol.Icmp;
            }
            else if (a.Keyword("local"))
            {
                local = a.Ip4("local address");
                if (a.Peek is { } p && char.IsAsciiDigit(p[0]) && !p.Contains('.', StringComparison.Ordinal))
                {
                    lport = Port(a, "local port");
                }
            }
            else if (a.Keyword("external"))
            {
                external = ExternalAddress(a);
                if (a.Peek is { } p && char.IsAsciiDigit(p[0]) && !p.Contains('.', StringComparison.Ordinal))
                {
                    eport = Port(a, "external port");
                }
            }
            else if (a.Keyword("vrf"))
            {
                vrf = a.UInt("vrf");
            }
            else if (a.Keyword("twice-nat"))
            {
                flags |= NatMappingFlags.TwiceNat;
            }
            else if (a.Keyword("self-twice-nat"))
            {
                flags |= NatMappingFlags.SelfTwiceNat;
            }
            else if (a.Keyword("out2in-only"))
            {
                flags |= NatMappingFlags.Out2InOnly;
            }
            else if (a.Keyword("exact"))
            {
                exact = a.Ip4("exact pool address");
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

        if (local is null || external is null)
        {
            throw new CliException("local and external addresses required");
        }

        if (lport.HasValue != eport.HasValue)
        {
            throw new CliException("Either both ports are set or none.");
        }

        if (lport is null)
        {
            proto = NatProtocol.None;
        }
        else if (proto == NatProtocol.None)
        {
            throw new CliException("protocol is required with ports");
        }

        var key = new NatExternalKey(external.Value, eport ?? 0, proto);
        if (del)
        {
            Engine(n =>
            {
                if (!n.Mappings.Remove(key))
                {
                    throw new CliException($"NAT mapping {key} does not exist");
                }
            });
            return string.Empty;
        }

        var l = new NatLocal(local.Value, lport ?? 0, vrf, 0);
        Engine(n => n.Mappings.Put(key, flags, [l], twiceNatAddress: exact));
        return string.Empty;
    }

    private uint ExternalAddress(CliArgs a)
    {
        if (a.PeekInterface())
        {
            var i = a.Interface();
            return i.Addresses.Count > 0 ? i.Addresses[0].Address : throw new CliException($"interface {i.Name} has no address");
        }

        return a.Ip4("external address");
    }

    private string AddLoadBalancingMapping(CliArgs a)
    {
        var proto = NatProtocol.None;
        (uint Address, ushort Port)? external = null;
        var locals = new List<NatLocal>();
        (uint Address, ushort Port)? pending = null;
        uint vrf = 0, affinity = 0;
        var flags = NatMappingFlags.None;
        var del = false;

        void FlushLocal(int probability)
        {
            if (pending is not { } p)
            {
                throw new CliException("probability without local");
            }

            locals.Add(new NatLocal(p.Address, p.Port, vrf, probability));
            pending = null;
            vrf = 0;
        }

        while (!a.AtEnd)
        {
            if (a.Keyword("protocol"))
            {
                proto = Protocol(a, allowIcmp: false);
            }
            else if (a.Keyword("external"))
            {
                external = AddressPort(a, "external");
            }
            else if (a.Keyword("local"))
            {
                if (pending is not null)
                {
                    FlushLocal(0);
                }

                pending = AddressPort(a, "local");
            }
            else if (a.Keyword("vrf"))
            {
                vrf = a.UInt("vrf");
            }
            else if (a.Keyword("probability"))
            {
                FlushLocal((int)Math.Min(a.UInt("probability"), int.MaxValue));
            }
            else if (a.Keyword("affinity"))
            {
                affinity = a.UInt("affinity");
            }
            else if (a.Keyword("twice-nat"))
            {
                flags |= NatMappingFlags.TwiceNat;
            }
            else if (a.Keyword("self-twice-nat"))
            {
                flags |= NatMappingFlags.SelfTwiceNat;
            }
            else if (a.Keyword("out2in-only"))
            {
                flags |= NatMappingFlags.Out2InOnly;
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

        if (pending is not null)
        {
            FlushLocal(0);
        }

        if (proto == NatProtocol.None)
        {
            throw new CliException("missing protocol");
        }

        if (external is not { } e)
        {
            throw new CliException("missing external address:port");
        }

        var key = new NatExternalKey(e.Address, e.Port, proto);
        if (del)
        {
            Engine(n =>
            {
                if (!n.Mappings.Remove(key))
                {
                    throw new CliException($"NAT mapping {key} does not exist");
                }
            });
            return string.Empty;
        }

        if (locals.Count == 0)
        {
            throw new CliException("at least one local address:port required");
        }

        Engine(n => n.Mappings.Put(key, flags, locals, affinity, loadBalancing: true));
        return string.Empty;
    }

    private string AddBackEnd(CliArgs a)
    {
        var proto = NatProtocol.None;
        (uint Address, ushort Port)? external = null, local = null;
        uint vrf = 0;
        var probability = 0;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("protocol"))
            {
                proto = Protocol(a, allowIcmp: false);
            }
            else if (a.Keyword("external"))
            {
                external = AddressPort(a, "external");
            }
            else if (a.Keyword("local"))
            {
                local = AddressPort(a, "local");
            }
            else if (a.Keyword("vrf"))
            {
                vrf = a.UInt("vrf");
            }
            else if (a.Keyword("probability"))
            {
                probability = (int)Math.Min(a.UInt("probability"), int.MaxValue);
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

        if (proto == NatProtocol.None || external is not { } e || local is not { } l)
        {
            throw new CliException("protocol, external <addr>:<port> and local <addr>:<port> required");
        }

        var key = new NatExternalKey(e.Address, e.Port, proto);
        Engine(n =>
        {
            if (del)
            {
                if (!n.Mappings.RemoveLocal(key, l.Address, l.Port, vrf))
                {
                    throw new CliException($"back-end {Ip4Address.Format(l.Address)}:{l.Port} vrf {vrf} of NAT mapping {key} does not exist");
                }
            }
            else
            {
                n.Mappings.PutLocal(key, new NatLocal(l.Address, l.Port, vrf, probability));
            }
        });
        return string.Empty;
    }

    private string AddIdentityMapping(CliArgs a)
    {
        uint? address = null;
        var proto = NatProtocol.None;
        ushort port = 0;
        uint vrf = 0;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("external"))
            {
                address = ExternalAddress(a);
            }
            else if (a.Peek is { } w && w.ToLowerInvariant() is "tcp" or "udp" or "icmp")
            {
                proto = Protocol(a, allowIcmp: true);
                port = Port(a, "port");
            }
            else if (a.Keyword("vrf"))
            {
                vrf = a.UInt("vrf");
            }
            else if (a.Keyword("del"))
            {
                del = true;
            }
            else if (address is null)
            {
                address = ExternalAddress(a);
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (address is not { } ip)
        {
            throw new CliException("missing address");
        }

        try
        {
            if (del)
            {
                if (!_dp.DeleteNatIdentity(ip, proto, port, vrf))
                {
                    throw new CliException($"identity mapping {Ip4Address.Format(ip)} vrf {vrf} does not exist");
                }
            }
            else
            {
                _dp.PutNatIdentity(ip, proto, port, vrf, null);
            }
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }

        return string.Empty;
    }

    private string AddAddress(CliArgs a)
    {
        var first = a.Ip4("address");
        var last = first;
        var vrf = NatAddressPool.AnyVrf;
        var twice = false;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("-"))
            {
                last = a.Ip4("range end");
            }
            else if (a.Keyword("tenant-vrf"))
            {
                vrf = a.UInt("tenant-vrf");
            }
            else if (a.Keyword("twice-nat"))
            {
                twice = true;
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

        if (last < first || last - first >= 256)
        {
            throw new CliException($"bad address range {Ip4Address.Format(first)} - {Ip4Address.Format(last)} (at most 256 addresses)");
        }

        Engine(n =>
        {
            for (var ip = first; ip <= last && ip >= first; ip++)
            {
                if (del)
                {
                    if (!n.Pool.Remove(ip, twice))
                    {
                        throw new CliException($"NAT address {Ip4Address.Format(ip)} does not exist");
                    }
                }
                else
                {
                    n.Pool.Add(ip, vrf, twice);
                }

                if (ip == uint.MaxValue)
                {
                    break;
                }
            }
        });
        return string.Empty;
    }

    private string SetInterface(CliArgs a)
    {
        var inside = new List<Interfaces.SwInterface>();
        var outside = new List<Interfaces.SwInterface>();
        var output = false;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("in"))
            {
                inside.Add(a.Interface());
            }
            else if (a.Keyword("out"))
            {
                outside.Add(a.Interface());
            }
            else if (a.Keyword("output-feature"))
            {
                output = true;
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

        if (inside.Count == 0 && outside.Count == 0)
        {
            throw new CliException("missing in <intfc> or out <intfc>");
        }

        // VPP: with output-feature the named interfaces get the post-routing feature (in or out alike).
        void Apply(Interfaces.SwInterface i, NatInterfaceRole role)
        {
            if (output)
            {
                role = NatInterfaceRole.OutputFeature | NatInterfaceRole.Outside;
            }

            var cur = _dp.NatRole(i);
            _dp.SetNatRole(i, del ? cur & ~role : cur | role);
        }

        foreach (var i in inside)
        {
            Apply(i, NatInterfaceRole.Inside);
        }

        foreach (var i in outside)
        {
            Apply(i, NatInterfaceRole.Outside);
        }

        return string.Empty;
    }

    private string Forwarding(CliArgs a)
    {
        bool on;
        if (a.Keyword("enable"))
        {
            on = true;
        }
        else if (a.Keyword("disable"))
        {
            on = false;
        }
        else
        {
            throw new CliException("expected enable or disable");
        }

        a.End();
        _dp.SetNatGlobal(_dp.NatGlobal with { Forwarding = on });
        return string.Empty;
    }

    private string SetTimeout(CliArgs a)
    {
        var g = _dp.NatGlobal;
        if (a.AtEnd)
        {
            throw new CliException("missing timeout");
        }

        while (!a.AtEnd)
        {
            if (a.Keyword("udp"))
            {
                g = g with { UdpTimeout = a.UInt("udp timeout") };
            }
            else if (a.Keyword("tcp-established"))
            {
                g = g with { TcpEstablishedTimeout = a.UInt("tcp-established timeout") };
            }
            else if (a.Keyword("tcp-transitory"))
            {
                g = g with { TcpTransitoryTimeout = a.UInt("tcp-transitory timeout") };
            }
            else if (a.Keyword("icmp"))
            {
                g = g with { IcmpTimeout = a.UInt("icmp timeout") };
            }
            else if (a.Keyword("reset"))
            {
                g = g with { UdpTimeout = 0, TcpEstablishedTimeout = 0, TcpTransitoryTimeout = 0, IcmpTimeout = 0 };
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        _dp.SetNatGlobal(g);
        return string.Empty;
    }

    private string ShowTimeouts(CliArgs a)
    {
        a.End();
        var t = _dp.WithNat(n => n.Timeouts);
        var c = CultureInfo.InvariantCulture;
        return string.Create(c, $"udp timeout: {t.Udp}sec\ntcp-established timeout: {t.TcpEstablished}sec\ntcp-transitory timeout: {t.TcpTransitory}sec\nicmp timeout: {t.Icmp}sec\n");
    }

    private string ShowSessions(CliArgs a)
    {
        var detail = a.Keyword("detail", "det");
        a.End();
        return _dp.WithNat(n => n.FormatSessions(_dp.NatNow(), detail));
    }

    private string ShowInterfaces(CliArgs a)
    {
        a.End();
        var sb = new StringBuilder("NAT44 interfaces:\n");
        foreach (var (i, role) in _dp.NatInterfaces)
        {
            sb.Append(' ').Append(i.Name);
            if ((role & NatInterfaceRole.OutputFeature) != 0)
            {
                sb.Append(" output-feature");
            }

            if ((role & NatInterfaceRole.Inside) != 0)
            {
                sb.Append(" in");
            }

            if ((role & NatInterfaceRole.Outside) != 0)
            {
                sb.Append(" out");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
