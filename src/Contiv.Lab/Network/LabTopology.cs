using System.Net;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;
using Contiv.Linux;

namespace Contiv.Lab.Network;

/// <summary>
/// The lab's underlay: one namespace (<c>cl-lab</c>) holding two bridges, <c>br-mgmt</c> (management
/// network 192.168.56.0/24) and <c>br-data</c> (node interconnect 192.168.16.0/24), and one namespace
/// per node (<c>cl-nodeN</c>) wired to both bridges by veth pairs: <c>mgmt0</c> carries the node's
/// management IP in the kernel, <c>data0</c> is left without an address for the node's data plane to
/// take over through AF_PACKET. Nothing is ever created in the root namespace: veths are created in
/// the lab namespace with their peer placed straight into the node namespace.
/// </summary>
public static class LabTopology
{
    /// <summary>Management bridge in the lab namespace.</summary>
    public const string ManagementBridge = "br-mgmt";

    /// <summary>Data (node interconnect) bridge in the lab namespace.</summary>
    public const string DataBridge = "br-data";

    /// <summary>Node-side name of the management link.</summary>
    public const string ManagementLink = "mgmt0";

    /// <summary>Node-side name of the data link (the data plane's NIC).</summary>
    public const string DataLink = "data0";

    /// <summary>Management network; node N has host N.</summary>
    public const string ManagementSubnet = "192.168.56.0/24";

    /// <summary>Node interconnect (SPEC §2.1 nodeInterconnectCIDR); node N has host N.</summary>
    public const string DataSubnet = "192.168.16.0/24";

    /// <summary>Management IP of node N.</summary>
    public static string ManagementIp(int index) => $"192.168.56.{index}";

    /// <summary>Data plane (node interconnect) IP of node N.</summary>
    public static string DataIp(int index) => $"192.168.16.{index}";

    /// <summary>
    /// Creates the lab namespace with both bridges up (with <paramref name="stn"/> only <c>br-data</c>, which
    /// then carries the management network too, with the underlay's gateway <see cref="StnUnderlay.GatewayIp"/>).
    /// Fails if it exists.
    /// </summary>
    public static void CreateUnderlay(LabInstance lab, bool stn = false)
    {
        using var ns = NetworkNamespace.Create(lab.LabNetns);
        using var nl = RtNetlink.Open(ns);
        nl.SetLinkUp("lo");
        foreach (var bridge in stn ? [DataBridge] : new[] { ManagementBridge, DataBridge })
        {
            nl.CreateBridge(bridge);
            nl.SetLinkUp(bridge);
        }

        if (stn)
        {
            StnUnderlay.AddGateway(nl);
        }
    }

    /// <summary>Creates node N's namespace and links; management IP on <c>mgmt0</c>, <c>data0</c> up without an address.</summary>
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

        foreach (var (labSide, nodeSide, bridge) in new[] { (MgmtPort(index), ManagementLink, ManagementBridge), (DataPort(index), DataLink, DataBridge) })
        {
            if (labNl.FindLink(labSide) is not null)
            {
                labNl.DeleteLink(labSide);   // leftover of a node of the same number
            }

            labNl.CreateVeth(labSide, nodeSide, nodeNs);
            labNl.SetMaster(labNl.GetLinkIndex(labSide), labNl.GetLinkIndex(bridge));
            labNl.SetLinkUp(labSide);
        }

        // The kernel must not use the data link: no IPv6 link-local address, no router solicitations.
        NetworkSysctl.Write(nodeNs, $"net.ipv6.conf.{DataLink}.disable_ipv6", "1");
        nodeNl.SetLinkUp(DataLink);

        var mgmt = nodeNl.GetLinkIndex(ManagementLink);
        nodeNl.AddAddress(mgmt, IPAddress.Parse(ManagementIp(index)), 24);
        nodeNl.SetLinkUp(mgmt);
    }

    /// <summary>Removes node N: kills what still runs in its namespace, deletes its veths and the namespace.</summary>
    public static void RemoveNode(LabInstance lab, int index)
    {
        var name = lab.NodeNetns(index);
        KillProcessesIn(name);
        if (NetworkNamespace.Exists(lab.LabNetns))
        {
            using var labNs = NetworkNamespace.Open(lab.LabNetns);
            using var labNl = RtNetlink.Open(labNs);
            foreach (var port in new[] { MgmtPort(index), DataPort(index) })
            {
                if (labNl.FindLink(port) is not null)
                {
                    labNl.DeleteLink(port);
                }
            }
        }

        if (NetworkNamespace.Exists(name))
        {
            NetworkNamespace.Delete(name);
        }
    }

    /// <summary>Names of every existing namespace of this lab (lab, nodes, pods).</summary>
    public static IReadOnlyList<string> ExistingNamespaces(LabInstance lab)
        => NetworkNamespace.List().Where(lab.OwnsNetns).ToList();

    /// <summary>Kills (SIGKILL) every process whose network namespace is <paramref name="netnsName"/>; returns how many.</summary>
    public static int KillProcessesIn(string netnsName)
    {
        if (!NetworkNamespace.Exists(netnsName))
        {
            return 0;
        }

        ulong inode;
        using (var ns = NetworkNamespace.Open(netnsName))
        {
            inode = ns.Id;
        }

        var spare = ProcessTable.SelfAndAncestors();
        var killed = 0;
        foreach (var pid in ProcessTable.AllPids())
        {
            if (!spare.Contains(pid) && ProcessTable.NetnsInode(pid) == inode && ProcessTable.Signal(pid, ProcessTable.SigKill))
            {
                killed++;
            }
        }

        return killed;
    }

    private static string MgmtPort(int index) => $"n{index}-mgmt";

    /// <summary>Lab-side name of node N's data link (with STN: its only link).</summary>
    internal static string DataPort(int index) => $"n{index}-data";
}
