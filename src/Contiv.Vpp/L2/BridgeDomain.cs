using System.Collections.Concurrent;

namespace Contiv.Vpp.L2;

/// <summary>An L2 FIB entry: MAC → member interface of a bridge domain.</summary>
public sealed class L2FibEntry
{
    internal L2FibEntry(ulong mac, int swIfIndex, bool isStatic, bool bvi)
    {
        Mac = mac;
        SwIfIndex = swIfIndex;
        Static = isStatic;
        Bvi = bvi;
        LastSeenTicks = Environment.TickCount64;
    }

    /// <summary>MAC (low 48 bits).</summary>
    public ulong Mac { get; }

    /// <summary>Member interface the MAC is behind.</summary>
    public int SwIfIndex { get; }

    /// <summary>Configured (never ages, never moved by learning).</summary>
    public bool Static { get; }

    /// <summary>The BVI's own MAC.</summary>
    public bool Bvi { get; }

    /// <summary>Last time a frame from this MAC was seen (Environment.TickCount64).</summary>
    public long LastSeenTicks { get; internal set; }
}

/// <summary>
/// A bridge domain (VPP's l2 bd): flags, members with split-horizon groups, an optional BVI and the
/// L2 FIB. Members and flags change at the barrier; the FIB is a concurrent map because workers learn.
/// </summary>
public sealed class BridgeDomain
{
    internal BridgeDomain(int index, uint id)
    {
        Index = index;
        Id = id;
    }

    /// <summary>Internal index (bd_index).</summary>
    public int Index { get; }

    /// <summary>Bridge domain id.</summary>
    public uint Id { get; }

    /// <summary>Label (the API's name, VPP's bd-tag).</summary>
    public string Name { get; internal set; } = string.Empty;

    /// <summary>Learn source MACs.</summary>
    public bool Learn { get; internal set; } = true;

    /// <summary>Forward known unicast.</summary>
    public bool Forward { get; internal set; } = true;

    /// <summary>Flood broadcast/multicast.</summary>
    public bool Flood { get; internal set; } = true;

    /// <summary>Flood unknown unicast.</summary>
    public bool UnknownUnicastFlood { get; internal set; } = true;

    /// <summary>ARP termination (accepted, not implemented: ARP is flooded/forwarded like any frame).</summary>
    public bool ArpTermination { get; internal set; }

    /// <summary>Learned-entry age in minutes (0 = never).</summary>
    public int MacAgeMinutes { get; internal set; }

    /// <summary>Member sw_if_indexes in join order (replaced wholesale at the barrier).</summary>
    public int[] Members { get; internal set; } = [];

    /// <summary>BVI sw_if_index, or -1.</summary>
    public int Bvi { get; internal set; } = -1;

    /// <summary>The L2 FIB.</summary>
    public ConcurrentDictionary<ulong, L2FibEntry> Fib { get; } = new();

    /// <summary>Learned entries (for show).</summary>
    public int LearnedCount
    {
        get
        {
            var n = 0;
            foreach (var e in Fib.Values)
            {
                if (!e.Static)
                {
                    n++;
                }
            }

            return n;
        }
    }
}
