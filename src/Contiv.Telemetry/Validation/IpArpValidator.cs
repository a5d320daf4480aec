using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Validation;

/// <summary>
/// <c>IP-ARP</c>: the static ARP entries on <c>vxlanBVI</c> are exactly one per remote node (its BVI
/// IP → its BVI MAC); entries on pod TAPs belong to local pods; every entry's interface exists.
/// </summary>
internal sealed class IpArpValidator : INodeValidator
{
    public string Prefix => "IP-ARP";

    public void Validate(ValidationContext node, ReportBuilder report)
    {
        var name = node.Node.Name;
        var arps = node.Node.Arps!;
        foreach (var a in arps)
        {
            if (!node.Interfaces.ContainsKey(a.Interface))
            {
                report.Error(name, Prefix, $"ARP entry {a.IpAddress} -> {a.PhysAddress} is on interface {a.Interface}, which does not exist");
                continue;
            }

            if (a.Interface == ContivNames.VxlanBvi)
            {
                var remote = node.RemoteByBviIp(a.IpAddress);
                if (remote is null)
                {
                    report.Error(name, Prefix, $"stale ARP entry {a.IpAddress} -> {a.PhysAddress} on {ContivNames.VxlanBvi}: no live remote node has this BVI address");
                }
                else if (!ContivNames.SameMac(a.PhysAddress, ContivNames.BviMac(remote.Id)))
                {
                    report.Error(name, Prefix, $"ARP entry {a.IpAddress} on {ContivNames.VxlanBvi} has MAC {a.PhysAddress}, node {remote.Name}'s BVI MAC is {ContivNames.BviMac(remote.Id)}");
                }
            }
            else if (a.Interface.StartsWith(ContivNames.PodTapPrefix, StringComparison.Ordinal)
                && !node.LocalPods.Any(p => p.IpAddress == a.IpAddress))
            {
                report.Error(name, Prefix, $"stale ARP entry {a.IpAddress} -> {a.PhysAddress} on {a.Interface}: no pod on this node has that IP");
            }
        }

        foreach (var r in node.Remotes)
        {
            var ip = node.BviIp(r.Id);
            if (!arps.Any(a => a.Interface == ContivNames.VxlanBvi && a.IpAddress == ip))
            {
                report.Error(name, Prefix, $"static ARP entry for node {r.Name}'s BVI {ip} -> {ContivNames.BviMac(r.Id)} missing on {ContivNames.VxlanBvi}");
            }
        }

        foreach (var p in node.LocalPods)
        {
            if (!arps.Any(a => a.IpAddress == p.IpAddress && a.Interface.StartsWith(ContivNames.PodTapPrefix, StringComparison.Ordinal)))
            {
                report.Error(name, Prefix, $"static ARP entry for pod {ValidationContext.PodName(p)} {p.IpAddress} missing on its TAP");
            }
        }
    }
}
