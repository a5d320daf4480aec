using Contiv.Linux;
using Contiv.Agent.Addressing;

namespace Contiv.Agent.Ipam;

/// <summary>
/// Allocation of pod IPs inside this node's pod subnet (SPEC §2.2): "next after last assigned",
/// host numbers 2 … 2^hostBits−3 (the gateway .1, the NAT loopback and the broadcast are never handed out),
/// wrapping once; the same pod asking again gets the same IP. In memory only: rebuilt from KSR pod records
/// and the agent's own pod list after a restart. Not thread-safe: owned by the event loop.
/// </summary>
internal sealed class PodIpAllocator
{
    private const long GatewaySeq = 1;
    private readonly Dictionary<PodId, Ip4> _byPod = [];
    private readonly Dictionary<Ip4, PodId> _byIp = [];
    private long _lastAssigned = GatewaySeq;

    /// <summary>Creates an empty allocator over <paramref name="podSubnet"/>.</summary>
    public PodIpAllocator(Ip4Prefix podSubnet)
    {
        if (podSubnet.HostBits < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(podSubnet), podSubnet, "pod subnet needs at least 2 host bits");
        }

        Subnet = podSubnet;
    }

    /// <summary>This node's pod subnet.</summary>
    public Ip4Prefix Subnet { get; }

    /// <summary>Current allocations.</summary>
    public IReadOnlyDictionary<PodId, Ip4> Allocations => _byPod;

    /// <summary>Sequence number past which no pod IP is handed out (exclusive): 2^hostBits − 2.</summary>
    private long MaxSeq => Subnet.Size - 2;

    /// <summary>Returns the pod's IP, allocating the next free one when it has none.</summary>
    public Ip4 Allocate(PodId pod)
    {
        if (_byPod.TryGetValue(pod, out var existing))
        {
            return existing;
        }

        for (var pass = 0; pass < 2; pass++)
        {
            var start = pass == 0 ? _lastAssigned + 1 : GatewaySeq;
            for (var j = start; j < MaxSeq; j++)
            {
                if (j == GatewaySeq)
                {
                    continue;
                }

                var ip = Subnet.Host(j);
                if (_byIp.ContainsKey(ip))
                {
                    continue;
                }

                _lastAssigned = j;
                _byPod[pod] = ip;
                _byIp[ip] = pod;
                return ip;
            }
        }

        throw new PodSubnetExhaustedException($"pod {pod}: no free IP address left in this node's pod subnet {Subnet} ({_byPod.Count} allocated)");
    }

    /// <summary>Records an existing allocation (relearned after a restart); false when the IP is outside the subnet or owned by another pod.</summary>
    public bool Register(PodId pod, Ip4 ip)
    {
        if (!Subnet.Contains(ip) || ip == Subnet.Host(GatewaySeq) || ip.Value - Subnet.Network.Value >= MaxSeq)
        {
            return false;
        }

        if (_byIp.TryGetValue(ip, out var owner) && owner != pod)
        {
            return false;
        }

        if (_byPod.TryGetValue(pod, out var old) && old != ip)
        {
            _byIp.Remove(old);
        }

        _byPod[pod] = ip;
        _byIp[ip] = pod;
        var seq = ip.Value - Subnet.Network.Value;
        if (seq > _lastAssigned)
        {
            _lastAssigned = seq;
        }

        return true;
    }

    /// <summary>Releases the pod's IP; returns the released address, if any.</summary>
    public Ip4? Release(PodId pod)
    {
        if (!_byPod.Remove(pod, out var ip))
        {
            return null;
        }

        _byIp.Remove(ip);
        return ip;
    }

    /// <summary>The pod's IP if allocated.</summary>
    public Ip4? Find(PodId pod) => _byPod.TryGetValue(pod, out var ip) ? ip : null;

    /// <summary>Owner of an IP if allocated.</summary>
    public PodId? OwnerOf(Ip4 ip) => _byIp.TryGetValue(ip, out var pod) ? pod : null;
}

/// <summary>No free address left in this node's pod subnet.</summary>
internal sealed class PodSubnetExhaustedException(string message) : Exception(message);
