using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

/// <summary>One reflective session slot (live when <see cref="InUse"/>); threaded on its class's LRU list.</summary>
internal struct AclSession
{
    public AclSessionKey Key;
    /// <summary>Seconds (data plane clock) of the last packet.</summary>
    public double LastHeard;
    public long Packets;
    public SessionTimeoutClass Class;
    /// <summary>TCP: <see cref="AclTcpTracker"/>'s bits.</summary>
    public byte TcpState;
    /// <summary>True when the packet that created the session came from the key's lower endpoint.</summary>
    public bool CreatedFromLo;
    public bool InUse;
}
