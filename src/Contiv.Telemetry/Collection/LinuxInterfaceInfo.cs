namespace Contiv.Telemetry.Collection;

/// <summary>One entry of the agent's <c>linux-interface</c> dump.</summary>
/// <param name="Name">Link name.</param>
/// <param name="Namespace">"host" for the node's host namespace, else the pod namespace.</param>
/// <param name="IpAddresses">"a.b.c.d/len" addresses.</param>
public sealed record LinuxInterfaceInfo(string Name, string Namespace, IReadOnlyList<string> IpAddresses);
