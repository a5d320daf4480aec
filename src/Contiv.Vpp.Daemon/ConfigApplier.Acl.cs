using Contiv.Model.Vpp;
using Contiv.Vpp.Interfaces;
using Api = Contiv.Model.Vpp;
using EngineAction = Contiv.Vpp.Acl.AclAction;
using EngineRule = Contiv.Vpp.Acl.AclRule;
using LinuxPrefix = Contiv.Linux.Ip4Prefix;

namespace Contiv.Vpp.Daemon;

// ACLs of dataplane.proto (acl.proto) onto the ACL plugin: PUT creates or replaces an ACL by name with its
// rules and interface lists, DELETE detaches it everywhere and removes it.
internal sealed partial class ConfigApplier
{
    private OpResult PutAcl(Api.Acl m)
    {
        if (string.IsNullOrEmpty(m.Name))
        {
            return Failed("ACL without a name");
        }

        var rules = new EngineRule[m.Rules.Count];
        for (var i = 0; i < rules.Length; i++)
        {
            rules[i] = RuleOf(m.Name, i, m.Rules[i]);
        }

        var ingress = Interfaces(m.Name, "ingress", m.IngressInterfaces);
        var egress = Interfaces(m.Name, "egress", m.EgressInterfaces);
        _dp.PutAcl(m.Name, rules, ingress, egress);
        return Ok();
    }

    private OpResult DeleteAcl(Api.Acl m)
        => _dp.DeleteAcl(m.Name) ? Ok() : NotFound($"ACL '{m.Name}' does not exist");

    private List<SwInterface> Interfaces(string acl, string direction, IList<string> names)
    {
        var l = new List<SwInterface>(names.Count);
        foreach (var n in names)
        {
            l.Add(Require(n, $"ACL '{acl}' {direction}"));
        }

        return l;
    }

    /// <summary>One proto rule as an engine rule; the message names the ACL, the rule and the bad field.</summary>
    internal static EngineRule RuleOf(string acl, int index, Api.AclRule r)
    {
        string Where() => $"ACL '{acl}' rule {index}";
        var (src, srcLen) = PrefixOf(r.SourceNetwork, Where, "source_network");
        var (dst, dstLen) = PrefixOf(r.DestinationNetwork, Where, "destination_network");
        if (r.Protocol > byte.MaxValue)
        {
            throw new FormatException($"{Where()}: protocol {r.Protocol} is not an IP protocol number (0-255)");
        }

        var (sLow, sHigh) = RangeOf(r.SrcPortLower, r.SrcPortUpper, Where, "source port");
        var (dLow, dHigh) = RangeOf(r.DstPortLower, r.DstPortUpper, Where, "destination port");
        if (r.TcpFlagsMask > byte.MaxValue || r.TcpFlagsValue > byte.MaxValue)
        {
            throw new FormatException($"{Where()}: TCP flags value {r.TcpFlagsValue} / mask {r.TcpFlagsMask} do not fit in 8 bits");
        }

        var action = r.Action switch
        {
            Api.AclAction.Deny => EngineAction.Deny,
            Api.AclAction.Permit => EngineAction.Permit,
            Api.AclAction.Reflect => EngineAction.PermitReflect,
            _ => throw new FormatException($"{Where()}: unknown action {r.Action}"),
        };
        try
        {
            return EngineRule.Create(action, src, srcLen, dst, dstLen, (byte)r.Protocol, sLow, sHigh, dLow, dHigh,
                (byte)r.TcpFlagsMask, (byte)r.TcpFlagsValue);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{Where()}: {e.Message}", e);
        }
    }

    private static (uint Address, int Length) PrefixOf(string text, Func<string> where, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return (0, 0);
        }

        return text.Contains('/', StringComparison.Ordinal) && LinuxPrefix.TryParseAddress(text, out var p)
            ? (p.Address.Value, p.Length)
            : throw new FormatException($"{where()}: {field} '{text}' is not an IPv4 prefix a.b.c.d/len");
    }

    private static (ushort Low, ushort High) RangeOf(uint lower, uint upper, Func<string> where, string what)
    {
        if (lower == 0 && upper == 0)
        {
            return (0, ushort.MaxValue);
        }

        if (upper == 0)
        {
            upper = lower;
        }

        if (lower > ushort.MaxValue || upper > ushort.MaxValue || lower > upper)
        {
            throw new FormatException($"{where()}: {what} range {lower}-{upper} is not within 0-65535 or is reversed");
        }

        return ((ushort)lower, (ushort)upper);
    }
}
