using Contiv.Model.Vpp;
using Route = Contiv.Model.Vpp.Route;

namespace Contiv.Agent.Dataplane;

/// <summary>Routes keyed by VRF, destination, next hop and interface.</summary>
internal sealed class VppRouteDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<Route>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-route";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.RoutePrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, Route value)
    {
        var r = value;
        yield return VppKeys.Vrf(r.VrfId);
        if (r.OutInterface.Length > 0)
        {
            yield return VppKeys.Interface(r.OutInterface);
        }

        if (r.Type == RouteType.InterVrf)
        {
            yield return VppKeys.Vrf(r.ViaVrfId);
        }
    }

    /// <inheritdoc/>
    public override bool Equivalent(string key, Route desired, Route applied)
    {
        var d = desired;
        var a = applied;
        // Weight 0 means the default (1), which is what the data plane reports back.
        return d.Type == a.Type && (d.Type != RouteType.InterVrf || d.ViaVrfId == a.ViaVrfId)
            && Math.Max(d.Weight, 1u) == Math.Max(a.Weight, 1u) && d.Preference == a.Preference;
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, Route value) => new() { Action = action, Route = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, Route>> FromDump(DumpReply dump)
        => dump.Routes.Select(r => KeyValuePair.Create(VppKeys.Route(r), r));
}
