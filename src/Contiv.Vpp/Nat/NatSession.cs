using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

/// <summary>How a session came to be (VPP prints these as the last lines of a session).</summary>
[Flags]
internal enum NatSessionFlags : byte
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Slot holds a live session.</summary>
    InUse = 1,
    /// <summary>Created from a static mapping (else dynamic SNAT from the pool).</summary>
    Static = 2,
    /// <summary>The mapping had several locals.</summary>
    LoadBalanced = 4,
    /// <summary>The client's source was rewritten to a twice-NAT address.</summary>
    TwiceNat = 8,
}

/// <summary>TCP progress of a session, as much as closing it needs.</summary>
internal enum NatTcpState : byte
{
    /// <summary>Handshake not complete.</summary>
    Opening = 0,
    /// <summary>Data may flow both ways.</summary>
    Established = 1,
    /// <summary>A FIN was seen one way (VPP's WAIT-CLOSED).</summary>
    Closing = 2,
    /// <summary>FIN both ways or RST: only the transitory timeout keeps it.</summary>
    Closed = 3,
}

/// <summary>TCP segments seen per direction (only segments without SYN count as ACK here).</summary>
[Flags]
internal enum NatTcpSeen : byte
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>SYN in2out.</summary>
    SynIn2Out = 1,
    /// <summary>SYN out2in.</summary>
    SynOut2In = 2,
    /// <summary>ACK without SYN in2out.</summary>
    AckIn2Out = 4,
    /// <summary>ACK without SYN out2in.</summary>
    AckOut2In = 8,
    /// <summary>FIN in2out.</summary>
    FinIn2Out = 16,
    /// <summary>FIN out2in.</summary>
    FinOut2In = 32,
}

/// <summary>
/// One translated flow. <see cref="In2OutKey"/> matches packets from the inside (local) host as
/// they arrive; <see cref="Out2InKey"/> matches packets from the outside (external host) as they
/// arrive. A packet matching one key is rewritten into the mirror of the other key, so the two keys
/// are the whole translation.
/// </summary>
internal struct NatSession
{
    /// <summary>Key of inside→outside packets before translation (local → external host, local VRF).</summary>
    public NatFlowKey In2OutKey;
    /// <summary>Key of outside→inside packets before translation (external host → external address).</summary>
    public NatFlowKey Out2InKey;
    /// <summary>Last packet time (seconds, the caller's clock).</summary>
    public double LastHeard;
    /// <summary>Packets both ways.</summary>
    public long Packets;
    /// <summary>Bytes (IP total length) both ways.</summary>
    public long Bytes;
    /// <summary>Pool entry that owns the allocated port, or -1.</summary>
    public int PoolIndex;
    /// <summary>Port (or ICMP id) allocated from <see cref="PoolIndex"/>.</summary>
    public ushort PoolPort;
    /// <summary>Kind of session.</summary>
    public NatSessionFlags Flags;
    /// <summary>The LRU list the session is on.</summary>
    public SessionTimeoutClass TimeoutClass;
    /// <summary>TCP state.</summary>
    public NatTcpState TcpState;
    /// <summary>TCP segments seen.</summary>
    public NatTcpSeen TcpSeen;

    /// <summary>True when the slot holds a session.</summary>
    public readonly bool InUse => (Flags & NatSessionFlags.InUse) != 0;
}
