using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Validation;

/// <summary>
/// <c>L2-FIB</c>: one static FIB entry per remote node in <c>vxlanBD</c> (remote BVI MAC → the tunnel to
/// that node); flags dangling entries (unknown MAC, missing interface).
/// </summary>
internal sealed class L2FibValidator : INodeValidator
{
    public string Prefix => "L2-FIB";

    public void Validate(ValidationContext node, ReportBuilder report)
    {
        var name = node.Node.Name;
        var bd = node.Node.BridgeDomains!.FirstOrDefault(b => b.Name == ContivNames.VxlanBd);
        var fibs = node.Node.L2Fibs!.Where(f => bd is null || f.BridgeDomainId == bd.Id).ToList();
        foreach (var r in node.Remotes)
        {
            var mac = ContivNames.BviMac(r.Id);
            var entry = fibs.FirstOrDefault(f => ContivNames.SameMac(f.PhysAddress, mac));
            var tunnel = ValidationContext.TunnelsTo(node.Node, r.VppAddress).FirstOrDefault();
            if (entry is null)
            {
                report.Error(name, Prefix, $"static L2 FIB entry for node {r.Name}'s BVI MAC {mac} missing in {ContivNames.VxlanBd}");
            }
            else if (tunnel is null || entry.OutgoingInterface != tunnel.Name)
            {
                report.Error(name, Prefix, $"L2 FIB entry {mac} (node {r.Name}) points to {Show(entry.OutgoingInterface)}, expected the VXLAN tunnel to {r.VppAddress}{(tunnel is null ? " (which does not exist)" : " " + tunnel.Name)}");
            }
        }

        foreach (var f in fibs)
        {
            if (!node.Remotes.Any(r => ContivNames.SameMac(f.PhysAddress, ContivNames.BviMac(r.Id))))
            {
                report.Error(name, Prefix, $"dangling L2 FIB entry {f.PhysAddress} -> {Show(f.OutgoingInterface)}: no live remote node has this BVI MAC");
            }
            else if (f.OutgoingInterface.Length > 0 && !node.Interfaces.ContainsKey(f.OutgoingInterface))
            {
                report.Error(name, Prefix, $"L2 FIB entry {f.PhysAddress} points to interface {f.OutgoingInterface}, which does not exist");
            }
        }
    }

    private static string Show(string iface) => iface.Length == 0 ? "no interface" : iface;
}
