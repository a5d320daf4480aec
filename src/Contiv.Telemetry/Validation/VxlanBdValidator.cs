using Contiv.Model.Vpp;
using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Validation;

/// <summary>
/// <c>VXLAN-BD</c>: <c>vxlanBD</c> holds the BVI and exactly one tunnel per remote node (from this node's
/// VPP IP to the remote's); each tunnel's peer has the reverse tunnel; no member is dangling.
/// </summary>
internal sealed class VxlanBdValidator : INodeValidator
{
    public string Prefix => "VXLAN-BD";

    public void Validate(ValidationContext node, ReportBuilder report)
    {
        var name = node.Node.Name;
        var bd = node.Node.BridgeDomains!.FirstOrDefault(b => b.Name == ContivNames.VxlanBd);
        if (bd is null)
        {
            report.Error(name, Prefix, $"bridge domain {ContivNames.VxlanBd} missing");
            return;
        }

        if (!bd.Interfaces.Any(m => m.Name == ContivNames.VxlanBvi && m.BridgedVirtualInterface))
        {
            report.Error(name, Prefix, $"{ContivNames.VxlanBd} has no BVI {ContivNames.VxlanBvi}");
        }

        var expected = new HashSet<string>(StringComparer.Ordinal) { ContivNames.VxlanBvi };
        foreach (var r in node.Remotes)
        {
            var tunnels = ValidationContext.TunnelsTo(node.Node, r.VppAddress).ToList();
            var members = tunnels.Where(t => bd.Interfaces.Any(m => m.Name == t.Name)).ToList();
            if (tunnels.Count == 0)
            {
                report.Error(name, Prefix, $"no VXLAN tunnel to node {r.Name} ({r.VppAddress}); expected {ContivNames.Tunnel(r.Id)} in {ContivNames.VxlanBd}");
                continue;
            }

            foreach (var t in tunnels)
            {
                expected.Add(t.Name);
            }

            if (members.Count == 0)
            {
                report.Error(name, Prefix, $"VXLAN tunnel {tunnels[0].Name} to node {r.Name} ({r.VppAddress}) is not a member of {ContivNames.VxlanBd}");
            }
            else if (members.Count > 1)
            {
                report.Error(name, Prefix, $"{members.Count} VXLAN tunnels to node {r.Name} ({r.VppAddress}) in {ContivNames.VxlanBd}: {string.Join(", ", members.Select(m => m.Name))}");
            }

            var t0 = members.FirstOrDefault() ?? tunnels[0];
            if (t0.Vxlan.SrcAddress.Split('/')[0] != node.Node.VppAddress)
            {
                report.Error(name, Prefix, $"VXLAN tunnel {t0.Name} to node {r.Name} starts at {t0.Vxlan.SrcAddress}, not at this node's IP {node.Node.VppAddress}");
            }

            if (r.HasData && !ValidationContext.TunnelsTo(r, node.Node.VppAddress).Any())
            {
                report.Error(name, Prefix, $"node {r.Name} has no VXLAN tunnel back to this node ({node.Node.VppAddress}) for {t0.Name}");
            }
        }

        foreach (var m in bd.Interfaces)
        {
            if (!node.Interfaces.TryGetValue(m.Name, out var i))
            {
                report.Error(name, Prefix, $"{ContivNames.VxlanBd} member {m.Name} does not exist");
            }
            else if (!expected.Contains(m.Name) && i.Type == InterfaceType.VxlanTunnel)
            {
                report.Error(name, Prefix, $"dangling VXLAN tunnel {m.Name} to {i.Vxlan.DstAddress} in {ContivNames.VxlanBd}: no live remote node has that IP");
            }
        }
    }
}
