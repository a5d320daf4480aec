using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Contiv.Lab.Lab;
using Contiv.Linux;

namespace Contiv.Lab.Network;

/// <summary>
/// The underlay of <c>contiv-lab up --stn</c> (docs/stn.md, "In the lab"): every node has one link, <c>eth0</c>, on
/// <c>br-data</c>, carrying the management and the data network at once. Before the vSwitch starts the node's host
/// owns it like a single-NIC server: node IP 192.168.16.N/24 and a default route via the underlay's gateway
/// 192.168.16.254 (an address of <c>br-data</c> in the lab namespace, where "the outside" pings from). contiv-stn
/// takes the addresses and routes away and the data plane opens the link through AF_PACKET.
/// </summary>
public static class StnUnderlay
{
    /// <summary>Node-side name of the node's only link (the NIC contiv-stn steals).</summary>
    public const string NodeLink = "eth0";

    /// <summary>The underlay's gateway, on <c>br-data</c> in the lab namespace.</summary>
    public const string GatewayIp = "192.168.16.254";

    /// <summary>Gives <c>br-data</c> the gateway address (lab namespace only, never the root namespace).</summary>
    internal static void AddGateway(RtNetlink labNl)
        => labNl.AddAddress(labNl.GetLinkIndex(LabTopology.DataBridge), IPAddress.Parse(GatewayIp), 24);

    /// <summary>Creates node N's namespace with <c>eth0</c> on <c>br-data</c>, the node IP on it and a default route.</summary>
    public static void AddNode(LabInstance lab, int index)
    {
        if (index is < 1 or > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"node number {index} is outside 1-250");
        }

        using var labNs = NetworkNamespace.Open(lab.LabNetns);
        using var nodeNs = NetworkNamespace.Create(lab.NodeNetns(index));
        using var labNl = RtNetlink.Open(labNs);
        using var nodeNl = RtNetlink.Open(nodeNs);
        nodeNl.SetLinkUp("lo");
        var port = LabTopology.DataPort(index);
        if (labNl.FindLink(port) is not null)
        {
            labNl.DeleteLink(port);   // leftover of a node of the same number
        }

        labNl.CreateVeth(port, NodeLink, nodeNs);
        labNl.SetMaster(labNl.GetLinkIndex(port), labNl.GetLinkIndex(LabTopology.DataBridge));
        labNl.SetLinkUp(port);

        // IPv4 only, as the rest of the lab: no link-local address for contiv-stn to carry back and forth.
        NetworkSysctl.Write(nodeNs, $"net.ipv6.conf.{NodeLink}.disable_ipv6", "1");
        var nic = nodeNl.GetLinkIndex(NodeLink);
        nodeNl.AddAddress(nic, IPAddress.Parse(LabTopology.DataIp(index)), 24);
        nodeNl.SetLinkUp(nic);
        nodeNl.AddRoute(Route.Default(IPAddress.Parse(GatewayIp), nic));
        IgnoreStolenNic(lab.NodeNetns(index));
    }

    /// <summary>
    /// A stolen NIC is gone from the host's view on a real node (bound to vfio-pci). Here the data plane reads it
    /// through AF_PACKET while the link stays in the host's namespace, so the kernel would see every frame too and,
    /// once the node IP lives on <c>vpp1</c>, answer ARP and take the node IP's packets straight from the wire,
    /// past the data plane. Two rules keep the host to what a real host sees: ARP answered on <c>eth0</c> only
    /// for addresses on <c>eth0</c> (<c>arp_ignore=1</c>), and IP packets arriving on <c>eth0</c> dropped before
    /// routing unless addressed to an address of <c>eth0</c> itself. Both are no-ops while the host owns the NIC
    /// (its addresses are on <c>eth0</c>); packet sockets see frames before netfilter, so the data plane is not
    /// affected.
    /// </summary>
    private static void IgnoreStolenNic(string netns)
    {
        using (var ns = NetworkNamespace.Open(netns))
        {
            NetworkSysctl.Write(ns, $"net.ipv4.conf.{NodeLink}.arp_ignore", "1");
        }

        string[] rule = ["-t", "raw", "-A", "PREROUTING", "-i", NodeLink, "-m", "addrtype", "!", "--dst-type", "LOCAL", "--limit-iface-in", "-j", "DROP"];
        var psi = new ProcessStartInfo(LabBinaries.Nsenter) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--net=/run/netns/" + netns, "--", "iptables", "-w" }.Concat(rule))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot run iptables");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"iptables {string.Join(' ', rule)} in {netns} failed ({p.ExitCode}): {err.Trim()}");
        }
    }

    /// <summary>
    /// Who has node N's NIC right now, as <c>status</c> and <c>node restart</c> show it: <c>host 192.168.16.N/24</c>
    /// (up, with its IPv4 addresses) or <c>stolen</c> (no address left on it).
    /// </summary>
    public static string NicOwner(string netns)
    {
        if (!NetworkNamespace.Exists(netns))
        {
            return "-";
        }

        try
        {
            using var ns = NetworkNamespace.Open(netns);
            using var nl = RtNetlink.Open(ns);
            var link = nl.FindLink(NodeLink);
            if (link is null)
            {
                return $"no {NodeLink}";
            }

            var addresses = nl.GetAddresses(link.Index, AddressFamily.InterNetwork);
            return addresses.Count == 0
                ? "stolen"
                : "host " + string.Join(", ", addresses.Select(a => $"{a.Address}/{a.PrefixLength}"));
        }
        catch (NetlinkException e)
        {
            return "? " + e.Message;
        }
    }
}
