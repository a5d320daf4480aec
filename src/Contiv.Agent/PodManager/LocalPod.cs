namespace Contiv.Agent.PodManager;

/// <summary>A pod wired on this node.</summary>
/// <param name="Name">Pod name.</param>
/// <param name="Namespace">Pod namespace.</param>
/// <param name="ContainerId">Sandbox container ID from CNI.</param>
/// <param name="NetworkNamespace">Pod netns path from CNI.</param>
/// <param name="InterfaceName">Interface name inside the pod (eth0).</param>
/// <param name="IpAddress">Pod IP (without prefix), empty until allocated.</param>
internal sealed record LocalPod(string Name, string Namespace, string ContainerId, string NetworkNamespace, string InterfaceName, string IpAddress);
