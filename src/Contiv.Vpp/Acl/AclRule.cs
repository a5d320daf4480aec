using System.Globalization;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Acl;

/// <summary>
/// One ACL rule (acl.proto's AclRule in engine form): IPv4 source and destination prefixes (host
/// order, host bits cleared by <see cref="Create"/>), protocol (0 = any), inclusive port ranges and a
/// TCP flags mask/value. For ICMP the source range matches the type and the destination range the code;
/// for protocols without ports both are 0. A packet whose L4 header is not there (non-first fragment,
/// truncated) matches only rules without an L4 condition. <see cref="Matches"/> is the definition every
/// classifier must agree with.
/// </summary>
public readonly record struct AclRule
{
    /// <summary>What a match does.</summary>
    public AclAction Action { get; init; }
    /// <summary>Source network (host order, host bits clear).</summary>
    public uint SrcAddress { get; init; }
    /// <summary>Source prefix length, 0–32.</summary>
    public int SrcLength { get; init; }
    /// <summary>Destination network (host order, host bits clear).</summary>
    public uint DstAddress { get; init; }
    /// <summary>Destination prefix length, 0–32.</summary>
    public int DstLength { get; init; }
    /// <summary>IP protocol number; 0 = any.</summary>
    public byte Protocol { get; init; }
    /// <summary>Lowest source port (ICMP: type).</summary>
    public ushort SrcPortLow { get; init; }
    /// <summary>Highest source port, inclusive.</summary>
    public ushort SrcPortHigh { get; init; }
    /// <summary>Lowest destination port (ICMP: code).</summary>
    public ushort DstPortLow { get; init; }
    /// <summary>Highest destination port, inclusive.</summary>
    public ushort DstPortHigh { get; init; }
    /// <summary>TCP flags that must equal <see cref="TcpFlagsValue"/>; 0 = any flags.</summary>
    public byte TcpFlagsMask { get; init; }
    /// <summary>Required value of the masked TCP flags.</summary>
    public byte TcpFlagsValue { get; init; }

    /// <summary>
    /// A validated rule with host bits cleared; ranges are inclusive and default to every port.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix length is outside 0–32, a range is reversed or a flag value sets bits outside its mask.</exception>
    public static AclRule Create(AclAction action, uint srcAddress, int srcLength, uint dstAddress, int dstLength, byte protocol = 0,
        ushort srcPortLow = 0, ushort srcPortHigh = ushort.MaxValue, ushort dstPortLow = 0, ushort dstPortHigh = ushort.MaxValue,
        byte tcpFlagsMask = 0, byte tcpFlagsValue = 0)
    {
        if (srcLength is < 0 or > 32 || dstLength is < 0 or > 32)
        {
            throw new ArgumentException($"ACL rule: prefix length {(srcLength is < 0 or > 32 ? srcLength : dstLength)} is outside 0-32");
        }

        if (srcPortLow > srcPortHigh || dstPortLow > dstPortHigh)
        {
            throw new ArgumentException($"ACL rule: port range {(srcPortLow > srcPortHigh ? $"{srcPortLow}-{srcPortHigh}" : $"{dstPortLow}-{dstPortHigh}")} is reversed");
        }

        if ((tcpFlagsValue & ~tcpFlagsMask) != 0)
        {
            throw new ArgumentException($"ACL rule: tcpflags {tcpFlagsValue} sets bits outside mask {tcpFlagsMask}");
        }

        return new AclRule
        {
            Action = action,
            SrcAddress = srcAddress & Ip4Address.Mask(srcLength),
            SrcLength = srcLength,
            DstAddress = dstAddress & Ip4Address.Mask(dstLength),
            DstLength = dstLength,
            Protocol = protocol,
            SrcPortLow = srcPortLow,
            SrcPortHigh = srcPortHigh,
            DstPortLow = dstPortLow,
            DstPortHigh = dstPortHigh,
            TcpFlagsMask = tcpFlagsMask,
            TcpFlagsValue = tcpFlagsValue,
        };
    }

    /// <summary>True when the rule looks at nothing beyond addresses and protocol (every port, any flags).</summary>
    public bool HasNoL4Condition
        => SrcPortLow == 0 && SrcPortHigh == ushort.MaxValue && DstPortLow == 0 && DstPortHigh == ushort.MaxValue && TcpFlagsMask == 0;

    /// <summary>The definition of a match (the linear reference the classifier is tested against).</summary>
    internal bool Matches(in AclTuple t)
    {
        if ((t.Src & Ip4Address.Mask(SrcLength)) != SrcAddress || (t.Dst & Ip4Address.Mask(DstLength)) != DstAddress)
        {
            return false;
        }

        return (Protocol == 0 || Protocol == t.Protocol) && L4Matches(t);
    }

    /// <summary>The port ranges and TCP flags part of <see cref="Matches"/>.</summary>
    internal bool L4Matches(in AclTuple t)
    {
        if (!t.L4Known)
        {
            return HasNoL4Condition;
        }

        return t.SrcPort >= SrcPortLow && t.SrcPort <= SrcPortHigh && t.DstPort >= DstPortLow && t.DstPort <= DstPortHigh
            && (TcpFlagsMask == 0 || (t.Protocol == AclTuple.Tcp && (t.TcpFlags & TcpFlagsMask) == TcpFlagsValue));
    }

    /// <summary>The rule as <c>show acl-plugin acl</c> prints it (after the rule number).</summary>
    public override string ToString()
    {
        var action = Action switch
        {
            AclAction.Permit => "permit",
            AclAction.PermitReflect => "permit+reflect",
            _ => "deny",
        };
        var s = string.Create(CultureInfo.InvariantCulture,
            $"ipv4 {action} src {Ip4Address.Format(SrcAddress)}/{SrcLength} dst {Ip4Address.Format(DstAddress)}/{DstLength} proto {Protocol} sport {Range(SrcPortLow, SrcPortHigh)} dport {Range(DstPortLow, DstPortHigh)}");
        return TcpFlagsMask != 0 ? string.Create(CultureInfo.InvariantCulture, $"{s} tcpflags {TcpFlagsValue} mask {TcpFlagsMask}") : s;
    }

    private static string Range(ushort low, ushort high)
        => low == high ? low.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{low}-{high}");
}
