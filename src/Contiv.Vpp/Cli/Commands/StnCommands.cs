using System.Globalization;
using System.Text;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, steal-the-NIC punt rules (FD.io VPP's STN plugin): stn rule, show stn rules.</summary>
internal sealed class StnCommands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("stn rule", "stn rule address <addr> interface <iface> [del]", Rule);
        cli.Register("show stn rules", "show stn rules", ShowRules);
    }

    private string Rule(CliArgs a)
    {
        uint? address = null;
        SwInterface? intf = null;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("address"))
            {
                address = a.Ip4("address");
            }
            else if (a.Keyword("interface"))
            {
                intf = a.Interface();
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

        if (address is null)
        {
            throw new CliException("address not set");
        }

        if (del)
        {
            return _dp.DeleteStnRule(address.Value)
                ? string.Empty
                : throw new CliException($"no STN rule for {Ip4Address.Format(address.Value)}");
        }

        _dp.PutStnRule(address.Value, intf ?? throw new CliException("interface not set"));
        return string.Empty;
    }

    // VPP's layout: one block per rule with its index, address, interface and next node.
    private string ShowRules(CliArgs a)
    {
        a.End();
        var sb = new StringBuilder();
        var rules = _dp.StnRuleArray;
        for (var i = 0; i < rules.Length; i++)
        {
            var name = _dp.Interface(rules[i].SwIfIndex)?.DevName ?? "?";
            sb.Append(CultureInfo.InvariantCulture, $"- rule_index: {i}\n");
            sb.Append(CultureInfo.InvariantCulture, $"  address: {Ip4Address.Format(rules[i].Address)}\n");
            sb.Append(CultureInfo.InvariantCulture, $"  iface: {name} ({rules[i].SwIfIndex})\n");
            sb.Append(CultureInfo.InvariantCulture, $"  next_node: {name}-output\n");
        }

        return sb.ToString();
    }
}
