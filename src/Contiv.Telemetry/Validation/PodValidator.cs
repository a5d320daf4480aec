using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Validation;

/// <summary>
/// <c>POD</c>: every local pod's IP lies in this node's pod subnet and reaches a TAP that exists (its
/// <c>/32</c> route's interface); a pod TAP used by no local pod is dangling. (Pods whose host IP is no
/// node's address are reported globally by <see cref="TopologyValidator"/>.)
/// </summary>
internal sealed class PodValidator : INodeValidator
{
    public string Prefix => "POD";

    public void Validate(ValidationContext node, ReportBuilder report)
    {
        var name = node.Node.Name;
        var routes = node.Node.Routes!;
        _ = Ip4Net.TryParse(node.Node.Ipam!.PodSubnetThisNode, out var subnet);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in node.LocalPods)
        {
            if (!Ip4Net.TryAddress(p.IpAddress, out var ip) || !subnet.Contains(ip))
            {
                report.Error(name, Prefix, $"pod {ValidationContext.PodName(p)}: IP {p.IpAddress} is outside this node's pod subnet {node.Node.Ipam.PodSubnetThisNode}");
            }

            var route = routes.FirstOrDefault(r => r.VrfId == ContivNames.PodVrf && r.DstNetwork == p.IpAddress + "/32"
                && r.OutInterface.StartsWith(ContivNames.PodTapPrefix, StringComparison.Ordinal));
            if (route is null)
            {
                continue; // L3-FIB names the missing route; the TAP is then unknown.
            }

            used.Add(route.OutInterface);
            if (!node.Interfaces.ContainsKey(route.OutInterface))
            {
                report.Error(name, Prefix, $"pod {ValidationContext.PodName(p)} {p.IpAddress}: its TAP {route.OutInterface} does not exist");
            }
        }

        foreach (var i in node.Interfaces.Values)
        {
            if (i.Name.StartsWith(ContivNames.PodTapPrefix, StringComparison.Ordinal) && !used.Contains(i.Name)
                && !routes.Any(r => r.OutInterface == i.Name && node.LocalPods.Any(p => p.IpAddress + "/32" == r.DstNetwork)))
            {
                report.Error(name, Prefix, $"dangling TAP {i.Name}: no pod on this node uses it");
            }
        }
    }
}
