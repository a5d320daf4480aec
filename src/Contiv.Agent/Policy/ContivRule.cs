using System.Globalization;
using Contiv.Linux;

namespace Contiv.Agent.Policy;

/// <summary>What a <see cref="ContivRule"/> does with a matching packet.</summary>
internal enum RuleAction
{
    /// <summary>Drop the packet.</summary>
    Deny = 0,

    /// <summary>Let the packet pass.</summary>
    Permit = 1,
}

/// <summary>IP protocol a rule matches; the values are the IP protocol numbers (0 = any).</summary>
internal enum RuleProtocol
{
    /// <summary>Every protocol (ports are then ignored).</summary>
    Any = 0,

    /// <summary>TCP.</summary>
    Tcp = 6,

    /// <summary>UDP.</summary>
    Udp = 17,

    /// <summary>SCTP (matched by protocol number and ports like TCP and UDP).</summary>
    Sctp = 132,
}

/// <summary>
/// One vswitch rule (SPEC §3.3 <c>ContivRule</c>): action, source and destination network (length 0 = any), protocol
/// and an inclusive destination port range (0–0 = any port). Source ports are never restricted by a Kubernetes
/// policy, so the rule has none. IPv4 only, like the rest of the agent.
/// </summary>
/// <param name="Action">Deny or permit.</param>
/// <param name="Source">Source network; <c>0.0.0.0/0</c> = any.</param>
/// <param name="Destination">Destination network; <c>0.0.0.0/0</c> = any.</param>
/// <param name="Protocol">Protocol; <see cref="RuleProtocol.Any"/> = any (ports must be 0 then).</param>
/// <param name="PortLow">Lowest destination port; 0 with <paramref name="PortHigh"/> 0 = any.</param>
/// <param name="PortHigh">Highest destination port (inclusive).</param>
internal readonly record struct ContivRule(RuleAction Action, Ip4Prefix Source, Ip4Prefix Destination, RuleProtocol Protocol, int PortLow, int PortHigh)
    : IComparable<ContivRule>
{
    /// <summary>The any network (<c>0.0.0.0/0</c>).</summary>
    public static readonly Ip4Prefix AnyNetwork = new(new Ip4(0), 0);

    /// <summary>PERMIT everything.</summary>
    public static readonly ContivRule PermitAll = new(RuleAction.Permit, AnyNetwork, AnyNetwork, RuleProtocol.Any, 0, 0);

    /// <summary>DENY everything.</summary>
    public static readonly ContivRule DenyAll = new(RuleAction.Deny, AnyNetwork, AnyNetwork, RuleProtocol.Any, 0, 0);

    /// <summary>True when the rule restricts no port (any port, or protocol any).</summary>
    public bool AnyPort => PortLow == 0 && PortHigh == 0;

    /// <summary>True when the rule matches every packet (any source, destination, protocol and port).</summary>
    public bool MatchesAll => Source.Length == 0 && Destination.Length == 0 && Protocol == RuleProtocol.Any;

    /// <summary>The rule's protocol and ports as a <see cref="PortRange"/>.</summary>
    public PortRange Ports => new(Protocol, PortLow, PortHigh);

    /// <summary>
    /// SPEC §3.3's total order: source network, destination network (more specific first, any last), protocol
    /// (TCP, UDP, SCTP, any last), ports (any last), DENY before PERMIT. Because a more specific rule always comes
    /// first, the DENY that closes a peer's PERMITs (same /32, protocol any) follows them.
    /// </summary>
    public int CompareTo(ContivRule other)
    {
        var c = CompareNetworks(Source, other.Source);
        if (c != 0)
        {
            return c;
        }

        c = CompareNetworks(Destination, other.Destination);
        if (c != 0)
        {
            return c;
        }

        c = ProtocolRank(Protocol).CompareTo(ProtocolRank(other.Protocol));
        if (c != 0)
        {
            return c;
        }

        // Port 0 (any) last; otherwise by range.
        c = (AnyPort ? 1 : 0).CompareTo(other.AnyPort ? 1 : 0);
        if (c != 0)
        {
            return c;
        }

        c = PortLow.CompareTo(other.PortLow);
        if (c != 0)
        {
            return c;
        }

        c = PortHigh.CompareTo(other.PortHigh);
        return c != 0 ? c : ((int)Action).CompareTo((int)other.Action); // DENY (0) before PERMIT (1)
    }

    /// <summary>Stable text, e.g. <c>PERMIT 10.1.1.2/32 -> any tcp 80-80</c>; also the input of a table's hash.</summary>
    public override string ToString()
    {
        var ports = Protocol == RuleProtocol.Any ? string.Empty
            : AnyPort ? " " + ProtocolName(Protocol)
            : string.Create(CultureInfo.InvariantCulture, $" {ProtocolName(Protocol)} {PortLow}-{PortHigh}");
        return $"{(Action == RuleAction.Deny ? "DENY" : "PERMIT")} {Net(Source)} -> {Net(Destination)}{ports}";
    }

    /// <summary>Lower-case protocol name (tcp, udp, sctp, any).</summary>
    public static string ProtocolName(RuleProtocol p) => p switch
    {
        RuleProtocol.Tcp => "tcp",
        RuleProtocol.Udp => "udp",
        RuleProtocol.Sctp => "sctp",
        _ => "any",
    };

    private static string Net(Ip4Prefix p) => p.Length == 0 ? "any" : p.ToString();

    private static int ProtocolRank(RuleProtocol p) => p switch
    {
        RuleProtocol.Tcp => 0,
        RuleProtocol.Udp => 1,
        RuleProtocol.Sctp => 2,
        _ => 3,
    };

    // More specific (longer) first, then by address; any (length 0) is naturally last.
    private static int CompareNetworks(Ip4Prefix a, Ip4Prefix b)
    {
        var c = b.Length.CompareTo(a.Length);
        return c != 0 ? c : a.Address.CompareTo(b.Address);
    }

    /// <summary>The comparison operators of <see cref="IComparable{T}"/>.</summary>
    public static bool operator <(ContivRule a, ContivRule b) => a.CompareTo(b) < 0;

    /// <summary>The comparison operators of <see cref="IComparable{T}"/>.</summary>
    public static bool operator >(ContivRule a, ContivRule b) => a.CompareTo(b) > 0;

    /// <summary>The comparison operators of <see cref="IComparable{T}"/>.</summary>
    public static bool operator <=(ContivRule a, ContivRule b) => a.CompareTo(b) <= 0;

    /// <summary>The comparison operators of <see cref="IComparable{T}"/>.</summary>
    public static bool operator >=(ContivRule a, ContivRule b) => a.CompareTo(b) >= 0;
}
