namespace Contiv.Agent.Policy;

/// <summary>
/// A protocol with an inclusive destination port range: what a policy port (<c>port</c>, <c>endPort</c>, protocol)
/// allows. Protocol any with 0–0 = everything; a protocol with 0–0 = every port of that protocol.
/// </summary>
/// <param name="Protocol">Protocol (any = every protocol, ports ignored).</param>
/// <param name="Low">Lowest port; 0 with <paramref name="High"/> 0 = every port.</param>
/// <param name="High">Highest port (inclusive).</param>
internal readonly record struct PortRange(RuleProtocol Protocol, int Low, int High)
{
    /// <summary>Every protocol and port.</summary>
    public static readonly PortRange All = new(RuleProtocol.Any, 0, 0);

    /// <summary>True when every port of the protocol is covered.</summary>
    public bool AnyPort => Low == 0 && High == 0;

    /// <summary>True when everything is covered.</summary>
    public bool IsAll => Protocol == RuleProtocol.Any;

    /// <summary>The packets both ranges allow; null when none.</summary>
    public PortRange? Intersect(PortRange other)
    {
        if (IsAll)
        {
            return other;
        }

        if (other.IsAll)
        {
            return this;
        }

        if (Protocol != other.Protocol)
        {
            return null;
        }

        if (AnyPort)
        {
            return other;
        }

        if (other.AnyPort)
        {
            return this;
        }

        var low = Math.Max(Low, other.Low);
        var high = Math.Min(High, other.High);
        return low <= high ? new PortRange(Protocol, low, high) : null;
    }

    /// <summary>True when every packet of <paramref name="other"/> is allowed by this range.</summary>
    public bool Covers(PortRange other) =>
        IsAll || (Protocol == other.Protocol && (AnyPort || (!other.AnyPort && Low <= other.Low && other.High <= High)));
}
