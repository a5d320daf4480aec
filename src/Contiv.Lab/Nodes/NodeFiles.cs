using System.Text.Json.Nodes;
using Contiv.Lab.Lab;
using Contiv.Lab.Network;

namespace Contiv.Lab.Nodes;

/// <summary>
/// Writes what a node needs on disk: the CNI configuration list in the node's <c>net.d</c>, the CNI
/// plugins in its <c>cni-bin</c> (symlinks to <c>contiv-cni</c> and the system's reference plugins),
/// and the agent's <c>contiv.conf</c> naming <c>data0</c> as the node's main VPP interface.
/// </summary>
public static class NodeFiles
{
    /// <summary>File name of the conflist (the one Contiv ships).</summary>
    public const string ConflistName = "10-contiv-vpp.conflist";

    /// <summary>Agent configuration of the node.</summary>
    public static string ContivConf(LabNode node) => Path.Combine(node.Dir, "contiv.conf");

    /// <summary>Writes every file of the node for the given network mode.</summary>
    public static void Write(LabNode node, NetworkMode mode, LabBinaries bins)
    {
        Directory.CreateDirectory(node.Dir);
        Directory.CreateDirectory(node.CniConfDir);
        Directory.CreateDirectory(node.CniBinDir);
        if (mode == NetworkMode.Contiv)
        {
            Link(Path.Combine(node.CniBinDir, "contiv-cni"), bins.Path("contiv-cni"));
        }

        foreach (var plugin in new[] { "portmap", "loopback", "bridge", "host-local" })
        {
            var system = Path.Combine(LabBinaries.SystemCniDir, plugin);
            if (File.Exists(system))
            {
                Link(Path.Combine(node.CniBinDir, plugin), system);
            }
        }

        var conflist = mode == NetworkMode.Contiv ? ContivConflist(node) : BridgeConflist(node);
        File.WriteAllText(Path.Combine(node.CniConfDir, ConflistName), conflist.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (mode == NetworkMode.Contiv)
        {
            File.WriteAllText(ContivConf(node), ContivConfText(node));
        }
    }

    /// <summary>
    /// Contiv's conflist (SPEC §1.7: <c>k8s-pod-network</c>, contiv-cni then portmap) with the lab's
    /// paths. The lab declares cniVersion 1.0.0 (contiv-cni speaks 0.3.0–1.1.0) so that the kubelet
    /// stand-in may call CHECK, which libcni refuses below 0.4.0.
    /// </summary>
    public static JsonObject ContivConflist(LabNode node) => new()
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "k8s-pod-network",
        ["plugins"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "contiv-cni",
                ["grpcServer"] = node.CniSocket,
                ["logFile"] = Path.Combine(node.Dir, "contiv-cni.log"),
                ["dataDir"] = Path.Combine(node.Dir, "cni-data"),
            },
            new JsonObject
            {
                ["type"] = "portmap",
                ["capabilities"] = new JsonObject { ["portMappings"] = true },
                ["externalSetMarkChain"] = "KUBE-MARK-MASQ",
            },
        },
    };

    /// <summary>The baseline conflist: bridge <c>cni0</c> as the pods' gateway 10.1.N.1, host-local IPAM in 10.1.N.0/24.</summary>
    public static JsonObject BridgeConflist(LabNode node) => new()
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "lab-bridge",
        ["plugins"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "bridge",
                ["bridge"] = "cni0",
                ["isGateway"] = true,
                ["ipMasq"] = false,
                ["ipam"] = new JsonObject
                {
                    ["type"] = "host-local",
                    ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = $"10.1.{node.Index}.0/24", ["gateway"] = $"10.1.{node.Index}.1" })),
                    ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
                    ["dataDir"] = Path.Combine(node.Dir, "host-local"),
                },
            },
            new JsonObject
            {
                ["type"] = "portmap",
                ["capabilities"] = new JsonObject { ["portMappings"] = true },
            },
        },
    };

    /// <summary>contiv.conf for one node: shipped defaults plus this node's main interface and static node IP.</summary>
    public static string ContivConfText(LabNode node) => node.StnInterface is null ? PlainContivConfText(node) : StnContivConfText(node);

    /// <summary>
    /// contiv.conf of a node in an <c>up --stn</c> lab: the node's NIC is stolen (<c>stealInterface</c>) and is the
    /// main interface (no <c>mainVPPInterface</c>, no static IP): contiv-init asks contiv-stn (<c>stnSocketFile</c>) to
    /// steal it and the agent takes the node IP and the routes from contiv-stn's answer (SPEC §1.8).
    /// </summary>
    public static string StnContivConfText(LabNode node) => $"""
        # contiv.conf written by contiv-lab for {node.Name} (namespace {node.Netns}, STN: {node.StnInterface} is stolen).
        nodeToNodeTransport: vxlan
        useTAPInterfaces: true
        tapInterfaceVersion: 2
        mtuSize: 1450
        natExternalTraffic: true
        routeServiceCIDRToVPP: true
        crdNodeConfigurationDisabled: false
        stnSocketFile: {node.StnSocket}
        ipamConfig:
          podSubnetCIDR: 10.1.0.0/16
          podSubnetOneNodePrefixLen: 24
          vppHostSubnetCIDR: 172.30.0.0/16
          vppHostSubnetOneNodePrefixLen: 24
          nodeInterconnectCIDR: {LabTopology.DataSubnet}
          vxlanCIDR: 192.168.30.0/24
          serviceCIDR: 10.96.0.0/12
        nodeConfig:
          - nodeName: {node.Name}
            stealInterface: {node.StnInterface}

        """;

    private static string PlainContivConfText(LabNode node) => $"""
        # contiv.conf written by contiv-lab for {node.Name} (namespace {node.Netns}).
        nodeToNodeTransport: vxlan
        useTAPInterfaces: true
        tapInterfaceVersion: 2
        mtuSize: 1450
        natExternalTraffic: true
        routeServiceCIDRToVPP: true
        crdNodeConfigurationDisabled: false
        ipamConfig:
          podSubnetCIDR: 10.1.0.0/16
          podSubnetOneNodePrefixLen: 24
          vppHostSubnetCIDR: 172.30.0.0/16
          vppHostSubnetOneNodePrefixLen: 24
          nodeInterconnectCIDR: {LabTopology.DataSubnet}
          vxlanCIDR: 192.168.30.0/24
          serviceCIDR: 10.96.0.0/12
        nodeConfig:
          - nodeName: {node.Name}
            mainVPPInterface:
              interfaceName: {LabTopology.DataLink}
              ip: {node.DataIp}/24

        """;

    private static void Link(string path, string target)
    {
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }

        File.CreateSymbolicLink(path, target);
    }
}
