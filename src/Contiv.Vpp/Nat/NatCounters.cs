namespace Contiv.Vpp.Nat;

/// <summary>Why NAT did not forward a packet translated or untouched (one counter each, named for <c>show errors</c>).</summary>
internal enum NatDropReason : byte
{
    /// <summary>Not dropped.</summary>
    None = 0,
    /// <summary>Broken IPv4/L4 header or ICMP quote.</summary>
    Malformed,
    /// <summary>IPv4 fragment (no virtual reassembly).</summary>
    Fragment,
    /// <summary>The session table is full.</summary>
    MaxSessions,
    /// <summary>No free port on the dynamic SNAT pool.</summary>
    OutOfPorts,
    /// <summary>A twice-NAT mapping matched but no twice-NAT address has a free port.</summary>
    NoTwiceNatAddress,
    /// <summary>The chosen translation collides with an existing session.</summary>
    SessionConflict,
    /// <summary>A Service port without ready endpoints: the caller answers RST / port unreachable.</summary>
    NoEndpoint,
    /// <summary>Packet to a pool address without a session while forwarding is off.</summary>
    NoSession,
    /// <summary>A TCP RST that would start a session: its connection's translation is gone, there is nothing to reset.</summary>
    RstWithoutSession,
}

/// <summary>What the caller does with the packet after NAT.</summary>
internal enum NatVerdict : byte
{
    /// <summary>Not NAT's business: forward unchanged.</summary>
    Pass,
    /// <summary>Rewritten: forward (look the new destination up in <see cref="NatResult.Fib"/>).</summary>
    Translated,
    /// <summary>Drop; <see cref="NatResult.Reason"/> says why (already counted).</summary>
    Drop,
    /// <summary>Refuse: answer with <see cref="NatRefusal.Build"/> and drop the packet (counted under <see cref="NatDropReason.NoEndpoint"/>).</summary>
    Refuse,
}

/// <summary>Per-packet result.</summary>
internal readonly record struct NatResult(NatVerdict Verdict, NatDropReason Reason, uint Fib, int Session)
{
    /// <summary>Unchanged packet.</summary>
    public static NatResult Passed(uint fib) => new(NatVerdict.Pass, NatDropReason.None, fib, -1);
}

/// <summary>Counters of one direction (one graph node): packets by outcome and drops by reason.</summary>
internal sealed class NatCounters
{
    /// <summary>Counter names, indexed by <see cref="NatDropReason"/> (VPP's error strings).</summary>
    public static readonly string[] DropNames =
    [
        "",
        "malformed IPv4 or L4 header",
        "fragments not supported",
        "maximum sessions exceeded",
        "out of ports",
        "no twice-NAT address",
        "session conflict",
        "no ready endpoint (refused)",
        "no session (forwarding disabled)",
        "TCP RST without session",
    ];

    private readonly long[] _drops = new long[DropNames.Length];

    /// <summary>Packets translated.</summary>
    public long Translated { get; private set; }

    /// <summary>Packets passed untranslated.</summary>
    public long Passed { get; private set; }

    /// <summary>Sessions created.</summary>
    public long SessionsCreated { get; private set; }

    /// <summary>Drops of one reason.</summary>
    public long Drops(NatDropReason reason) => _drops[(int)reason];

    internal void CountTranslated() => Translated++;

    internal void CountPassed() => Passed++;

    internal void CountSession() => SessionsCreated++;

    internal void CountDrop(NatDropReason reason) => _drops[(int)reason]++;

    /// <summary>Zeroes every counter (<c>clear errors</c>).</summary>
    public void Clear()
    {
        Array.Clear(_drops);
        Translated = Passed = SessionsCreated = 0;
    }
}
