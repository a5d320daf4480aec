using Contiv.Agent.Dataplane;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Stn;

/// <summary>STN punt rules keyed <c>vpp/stn-rule/{ip}</c> (dataplane.proto's ConfigOp.stn_rule, Dump kind STN_RULES).</summary>
internal sealed class VppStnRuleDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<StnRule>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-stn-rule";

    /// <inheritdoc/>
    public override string KeyPrefix => StnKeys.RulePrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, StnRule value) => [VppKeys.Interface(value.Interface)];

    /// <inheritdoc/>
    public override bool Equivalent(string key, StnRule desired, StnRule applied) => desired.Interface == applied.Interface;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, StnRule value) => new() { Action = action, StnRule = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, StnRule>> FromDump(DumpReply dump)
        => dump.StnRules.Select(r => KeyValuePair.Create(StnKeys.Rule(r.IpAddress), r));
}
