using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

/// <summary>
/// The endpoint-dependent NAT44 of one data plane (FD.io VPP's nat44-ed, our own code): static
/// mappings with load balancing and affinity, the dynamic SNAT and twice-NAT pools, and the session
/// table. Graph nodes call <see cref="Out2In"/> / <see cref="In2Out"/> per packet and
/// <see cref="Expire"/> once per vector; the control plane edits <see cref="Mappings"/> and
/// <see cref="Pool"/>. Per-packet work is a parse, at most a handful of hash lookups and an
/// in-place rewrite: nothing allocates and nothing scans mappings or sessions.
/// Not thread-safe: one caller at a time (docs/nat44.md, "Threads").
/// </summary>
internal sealed partial class Nat44
{
    private readonly Random _random;

    /// <summary>Creates the NAT with room for <paramref name="maxSessions"/> sessions and as many affinity records.</summary>
    /// <param name="maxSessions">Session table capacity (VPP's <c>sessions</c> of <c>nat44 plugin enable</c>).</param>
    /// <param name="random">Load-balancing draws and port shuffles; injected so tests are deterministic.</param>
    /// <param name="timeouts">Idle timeouts; VPP's defaults when null.</param>
    public Nat44(int maxSessions = 65536, Random? random = null, NatTimeouts? timeouts = null)
    {
        _random = random ?? Random.Shared;
        Sessions = new NatSessionTable(maxSessions);
        Affinity = new NatAffinityTable(maxSessions);
        Mappings = new NatStaticMappingTable();
        Pool = new NatAddressPool(_random);
        Timeouts = timeouts ?? new NatTimeouts();
    }

    /// <summary>Static mappings (identity mappings included).</summary>
    public NatStaticMappingTable Mappings { get; }

    /// <summary>Dynamic SNAT and twice-NAT addresses.</summary>
    public NatAddressPool Pool { get; }

    /// <summary>Sessions.</summary>
    public NatSessionTable Sessions { get; }

    /// <summary>ClientIP affinity records.</summary>
    public NatAffinityTable Affinity { get; }

    /// <summary>Idle timeouts.</summary>
    public NatTimeouts Timeouts { get; set; }

    /// <summary>
    /// VPP's <c>forwarding</c>: packets matching neither a session nor a mapping pass untranslated
    /// (Contiv sets it). When off, such packets addressed to a pool address are dropped.
    /// </summary>
    public bool Forwarding { get; set; } = true;

    /// <summary>Counters of the outside→inside node.</summary>
    public NatCounters Out2InCounters { get; } = new();

    /// <summary>Counters of the inside→outside node.</summary>
    public NatCounters In2OutCounters { get; } = new();

    /// <summary>Sessions removed because they idled past their timeout.</summary>
    public long TimedOutSessions { get; private set; }

    /// <summary>
    /// Expires sessions idle past their timeout, oldest first, and stale affinity records: at most
    /// <paramref name="budget"/> sessions of each timeout class and <paramref name="budget"/> affinity
    /// slots per call, so a graph node can call it once per vector without a latency spike when many
    /// expire at once (and one busy class cannot starve another). Returns the sessions removed.
    /// </summary>
    public int Expire(double now, int budget)
    {
        var removed = 0;
        for (var c = SessionTimeoutClass.TcpTransitory; c <= SessionTimeoutClass.TcpClosed; c++)
        {
            var timeout = Timeouts.Of(c);
            for (var n = 0; n < budget; n++)
            {
                var i = Sessions.Oldest(c);
                if (i < 0 || Sessions[i].LastHeard + timeout > now)
                {
                    break;
                }

                DeleteSession(i);
                TimedOutSessions++;
                removed++;
            }
        }

        Affinity.Sweep(now, budget);
        return removed;
    }

    /// <summary>Deletes one session and gives its pool port back.</summary>
    public void DeleteSession(int index)
    {
        ref var s = ref Sessions[index];
        if (s.PoolIndex >= 0)
        {
            Pool.Release(s.PoolIndex, s.In2OutKey.Protocol, s.PoolPort);
        }

        Sessions.Remove(index);
    }

    /// <summary>
    /// Deletes every session whose local side is (address, port, protocol) — a backend that went away,
    /// when its connections should fail fast rather than idle out. Control path: scans the table.
    /// Port 0 matches any port, protocol None any protocol. Returns the number deleted.
    /// </summary>
    public int DeleteSessionsOfLocal(uint address, ushort port = 0, NatProtocol protocol = NatProtocol.None)
    {
        var n = 0;
        for (var i = 0; i < Sessions.Capacity; i++)
        {
            ref var s = ref Sessions[i];
            if (s.InUse && s.In2OutKey.Src == address && (port == 0 || s.In2OutKey.SrcPort == port)
                && (protocol == NatProtocol.None || s.In2OutKey.Protocol == protocol))
            {
                DeleteSession(i);
                n++;
            }
        }

        return n;
    }

    private bool Expired(int index, double now)
    {
        ref var s = ref Sessions[index];
        return s.LastHeard + Timeouts.Of(s.TimeoutClass) <= now;
    }
}
