using Contiv.Agent.Config;
using Contiv.Agent.Ipam;
using Contiv.Agent.NodeSync;

namespace Contiv.Agent;

/// <summary>
/// State shared by the plugins of one agent. Written only on the event loop thread; REST handlers read
/// it (reference swaps and immutable values keep those reads consistent enough for reporting).
/// </summary>
internal sealed class AgentContext(NodeSettings settings)
{
    /// <summary>Configuration of this node.</summary>
    public NodeSettings Settings { get; } = settings;

    /// <summary>This node's name (etcd label).</summary>
    public string NodeName => Settings.NodeName;

    /// <summary>This node's ID (0 until allocated).</summary>
    public uint NodeId { get; set; }

    /// <summary>Addressing of this node (null until the ID is known).</summary>
    public NodeAddressing? Addressing { get; set; }

    /// <summary>This node's main (VPP) IP with prefix length.</summary>
    public (Contiv.Linux.Ip4 Address, int Length)? NodeIp { get; set; }

    /// <summary>STN mode: what contiv-stn took from the host (loaded once at start); null otherwise.</summary>
    public Contiv.Agent.Stn.StolenInterface? Stn { get; set; }

    /// <summary>Every known node, including this one, by name.</summary>
    public Dictionary<string, NodeInfo> Nodes { get; } = new(StringComparer.Ordinal);

    /// <summary>Pod IP allocation of this node (null until the ID is known).</summary>
    public PodIpAllocator? Allocator { get; set; }

    /// <summary>Pods wired on this node.</summary>
    public Dictionary<PodId, PodManager.LocalPod> LocalPods { get; } = [];

    /// <summary>
    /// Copies a collection owned by the event loop from another thread (REST, metrics). The loop never
    /// blocks on readers; a reader that raced a write simply copies again.
    /// </summary>
    public static List<T> Snapshot<T>(Func<IEnumerable<T>> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return source().ToList();
            }
            catch (InvalidOperationException) when (attempt < 10)
            {
                Thread.Yield();
            }
        }
    }

    /// <summary>Addressing, or a clear error when the node ID is not known yet.</summary>
    public NodeAddressing RequireAddressing() => Addressing ?? throw new InvalidOperationException($"node {NodeName} has no node ID yet (waiting for the startup resync)");
}
