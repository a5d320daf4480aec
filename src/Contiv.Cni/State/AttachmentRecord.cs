namespace Contiv.Cni.State;

/// <summary>
/// What contiv-cni remembers of one attachment between ADD and DEL, so that GC can undo it
/// (agent Delete and IPAM DEL) when the runtime has lost it: the ADD's parameters and configuration.
/// </summary>
/// <param name="ContainerId">CNI_CONTAINERID of the ADD.</param>
/// <param name="IfName">CNI_IFNAME of the ADD.</param>
/// <param name="Netns">CNI_NETNS of the ADD.</param>
/// <param name="Args">CNI_ARGS of the ADD (carries the pod name and namespace).</param>
/// <param name="Config">The network configuration of the ADD as read from stdin.</param>
public sealed record AttachmentRecord(string ContainerId, string IfName, string Netns, string Args, string Config);
