namespace Contiv.Vpp.Sessions;

/// <summary>
/// Sessions sharing one idle timeout (NAT44 and ACL reflective sessions alike). Each class is one LRU list
/// of a <see cref="SessionLists"/>, so its head is always the session to expire next: expiry walks heads and
/// stops at the first live one. The timeouts themselves are the plugins' own (their defaults differ).
/// </summary>
internal enum SessionTimeoutClass : byte
{
    /// <summary>TCP opening (NAT44: also closing).</summary>
    TcpTransitory = 0,
    /// <summary>TCP established.</summary>
    TcpEstablished = 1,
    /// <summary>UDP (ACL: also SCTP and every other protocol with sessions).</summary>
    Udp = 2,
    /// <summary>ICMP echo.</summary>
    Icmp = 3,
    /// <summary>TCP closed (FIN both ways or RST): on its own list so a full table can reclaim the oldest in O(1).</summary>
    TcpClosed = 4,
}
