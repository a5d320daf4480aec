using Contiv.Model.Vpp;
using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Validation;

/// <summary>
/// <c>L3-FIB</c> (SPEC §1.4, §2.3, §2.6): the routes every node must have — pod <c>/32</c>s in the pod VRF,
/// the inter-VRF and DROP routes of the cluster ranges, per remote node its pod subnet, host subnet and
/// management IP via its BVI (pod VRF) and the management IP into the pod VRF (main VRF) — then every
/// route no rule accounts for is reported too.
/// </summary>
internal sealed class L3FibValidator : INodeValidator
{
    public string Prefix => "L3-FIB";

    public void Validate(ValidationContext node, ReportBuilder report)
    {
        var name = node.Node.Name;
        var routes = node.Node.Routes!;
        var validated = new HashSet<Route>(ReferenceEqualityComparer.Instance);
        var ipam = node.Node.Ipam!;
        var main = ContivNames.MainVrf;
        var pod = ContivNames.PodVrf;

        void Expect(uint vrf, string dst, string what, Func<Route, bool> shape, string shapeText)
        {
            var candidates = routes.Where(r => r.VrfId == vrf && r.DstNetwork == dst).ToList();
            var ok = candidates.FirstOrDefault(shape);
            if (ok is not null)
            {
                validated.Add(ok);
            }
            else if (candidates.Count == 0)
            {
                report.Error(name, Prefix, $"route to {what} {dst} missing in VRF {vrf} (expected {shapeText})");
            }
            else
            {
                report.Error(name, Prefix, $"route to {what} {dst} in VRF {vrf} is {Describe(candidates[0])}, expected {shapeText}");
            }
        }

        Func<Route, bool> InterVrf(uint via) => r => r.Type == RouteType.InterVrf && r.ViaVrfId == via;
        Func<Route, bool> Via(string nh, string iface) => r => r.Type == RouteType.IntraVrf && r.NextHopAddr == nh && r.OutInterface == iface;

        foreach (var p in node.LocalPods)
        {
            Expect(pod, p.IpAddress + "/32", $"pod {ValidationContext.PodName(p)}",
                r => r.Type == RouteType.IntraVrf && r.NextHopAddr == p.IpAddress && r.OutInterface.StartsWith(ContivNames.PodTapPrefix, StringComparison.Ordinal),
                $"via {p.IpAddress} dev {ContivNames.PodTapPrefix}…");
        }

        var podCidr = node.PodCidr.ToString();
        var hostCidr = node.HostCidr.ToString();
        Expect(main, podCidr, "the pod network", InterVrf(pod), $"lookup in VRF {pod}");
        Expect(main, hostCidr, "the VPP-host network", InterVrf(pod), $"lookup in VRF {pod}");
        Expect(pod, "0.0.0.0/0", "the default", InterVrf(main), $"lookup in VRF {main}");
        Expect(pod, ipam.VppHostNetwork, "this node's host subnet", InterVrf(main), $"lookup in VRF {main}");
        Expect(pod, podCidr, "the pod network (drop)", r => r.Type == RouteType.Drop, "drop");
        Expect(pod, hostCidr, "the VPP-host network (drop)", r => r.Type == RouteType.Drop, "drop");

        foreach (var r in node.Remotes)
        {
            var bvi = node.BviIp(r.Id);
            var via = $"via {bvi} dev {ContivNames.VxlanBvi}";
            Expect(pod, node.PodSubnetOf(r.Id).ToString(), $"node {r.Name}'s pod subnet", Via(bvi, ContivNames.VxlanBvi), via);
            Expect(pod, node.HostSubnetOf(r.Id).ToString(), $"node {r.Name}'s host subnet", Via(bvi, ContivNames.VxlanBvi), via);
            if (r.ManagementIp != bvi)
            {
                Expect(pod, r.ManagementIp + "/32", $"node {r.Name}'s management IP", Via(bvi, ContivNames.VxlanBvi), via);
            }

            Expect(main, r.ManagementIp + "/32", $"node {r.Name}'s management IP", InterVrf(pod), $"lookup in VRF {pod}");
        }

        // Accounted for without a rule of their own: receive routes, the node host's addresses via the
        // host interconnect, the default route of the main VRF (static gateway), connected prefixes.
        _ = Ip4Net.TryParse(ipam.VppHostNetwork, out var hostNet);
        var hostSide = hostNet.Host(2);
        foreach (var r in routes)
        {
            if (validated.Contains(r) || r.Type == RouteType.Local
                || (r.VrfId == main && r.OutInterface == ContivNames.HostTap && r.NextHopAddr == hostSide && r.DstNetwork.EndsWith("/32", StringComparison.Ordinal))
                || (r.VrfId == main && r.DstNetwork == "0.0.0.0/0" && r.Type == RouteType.IntraVrf)
                || IsConnected(node, r))
            {
                continue;
            }

            report.Error(name, Prefix, $"unexpected route {Describe(r)} in VRF {r.VrfId}: no rule accounts for it");
        }
    }

    private static bool IsConnected(ValidationContext node, Route r)
    {
        if (r.OutInterface.Length == 0 || !node.Interfaces.TryGetValue(r.OutInterface, out var i))
        {
            return false;
        }

        foreach (var a in i.IpAddresses)
        {
            if (Ip4Net.TryParse(a, out var net) && (r.DstNetwork == net.ToString() || r.DstNetwork == a.Split('/')[0] + "/32"))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Route r) => r.Type switch
    {
        RouteType.InterVrf => $"{r.DstNetwork} lookup in VRF {r.ViaVrfId}",
        RouteType.Drop => $"{r.DstNetwork} drop",
        RouteType.Local => $"{r.DstNetwork} local",
        _ => $"{r.DstNetwork} via {(r.NextHopAddr.Length == 0 ? "-" : r.NextHopAddr)} dev {(r.OutInterface.Length == 0 ? "-" : r.OutInterface)}",
    };
}
