using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Conversion;

/// <summary>Kubernetes Node → KSR <c>node.Node</c> record (SPEC §1.3).</summary>
internal static class NodeConversion
{
    /// <summary>
    /// Converts a node: name, <c>spec.podCIDR</c>, <c>spec.providerID</c>, the addresses of known
    /// types (Hostname, ExternalIP, InternalIP, ExternalDNS, InternalDNS; others are left out) and
    /// <c>status.nodeInfo</c>.
    /// </summary>
    /// <param name="node">The Kubernetes node.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">The node has no name.</exception>
    public static Node ToProto(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var result = new Node
        {
            Name = Metadata.Name(node.Metadata, "node"),
            PodCIDR = node.Spec?.PodCIDR ?? string.Empty,
            ProviderID = node.Spec?.ProviderID ?? string.Empty,
        };

        foreach (var address in node.Status?.Addresses ?? [])
        {
            if (AddressType(address.Type) is { } type)
            {
                result.Addresses.Add(new NodeAddress { Type = type, Address = address.Address ?? string.Empty });
            }
        }

        if (node.Status?.NodeInfo is { } info)
        {
            result.NodeInfo = new NodeSystemInfo
            {
                MachineID = info.MachineID ?? string.Empty,
                SystemUUID = info.SystemUUID ?? string.Empty,
                BootID = info.BootID ?? string.Empty,
                KernelVersion = info.KernelVersion ?? string.Empty,
                OsImage = info.OsImage ?? string.Empty,
                ContainerRuntimeVersion = info.ContainerRuntimeVersion ?? string.Empty,
                KubeletVersion = info.KubeletVersion ?? string.Empty,
                KubeProxyVersion = info.KubeProxyVersion ?? string.Empty,
                OperatingSystem = info.OperatingSystem ?? string.Empty,
                Architecture = info.Architecture ?? string.Empty,
            };
        }

        return result;
    }

    private static NodeAddress.Types.AddressType? AddressType(string? type) => type switch
    {
        "Hostname" => NodeAddress.Types.AddressType.NodeHostName,
        "ExternalIP" => NodeAddress.Types.AddressType.NodeExternalIp,
        "InternalIP" => NodeAddress.Types.AddressType.NodeInternalIp,
        "ExternalDNS" => NodeAddress.Types.AddressType.NodeExternalDns,
        "InternalDNS" => NodeAddress.Types.AddressType.NodeInternalDns,
        _ => null,
    };
}
