using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Stn;

/// <summary>
/// stn-ip4-punt (FD.io VPP's STN plugin): packets for an STN address that the data plane's own stack does not
/// consume leave, unchanged from the IP header on, out of the rule's interface towards the host, which owns
/// that address on the other side of the TAP. ip4-local hands them over (<see cref="Claims"/>), so whatever
/// the data plane wants first — NAT44 node ports and sessions (translated on ip4-unicast, before ip4-local
/// ever sees them), VXLAN for a configured tunnel — has already been taken out. The IP header is not touched
/// (no TTL decrement: the host is the destination, not a hop); only the Ethernet header is rewritten.
/// </summary>
internal sealed class StnIp4PuntNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "stn-ip4-punt";

    private const ushort VxlanPort = 4789;

    private readonly NextSlot _nextOutput;
    private readonly ErrorSlot _punted;
    private readonly ErrorSlot _errNoRule;
    private readonly ErrorSlot _errUnresolved;
    private readonly ErrorSlot _errHeadroom;

    /// <summary>Creates the node.</summary>
    public StnIp4PuntNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextOutput = AddNext("interface-output");
        _punted = AddError("packets punted to the host");
        _errNoRule = AddError("STN rule removed");
        _errUnresolved = AddError("no neighbour for the STN address on the rule's interface");
        _errHeadroom = AddError("no buffer headroom for the Ethernet header");
    }

    /// <summary>
    /// True when the packet at <paramref name="ip"/> (IPv4 header, <paramref name="length"/> bytes from it) is
    /// for an STN address and the data plane does not consume it itself: anything but UDP to a punt port, where
    /// VXLAN counts as consumed only for a configured tunnel (so VXLAN from an unknown VTEP reaches the host).
    /// Called per packet by ip4-local; allocation-free.
    /// </summary>
    public static unsafe bool Claims(Dataplane dp, StnRuleEntry[] rules, byte* ip, int length)
    {
        var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + 16, 4));
        if (Find(rules, dst) is null)
        {
            return false;
        }

        var ihl = (ip[0] & 15) << 2;
        var fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(ip + 6, 2)) & 0x1fff;
        if (ip[9] != 17 || fragmentOffset != 0 || length - ihl < 8)
        {
            return true;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(ip + ihl + 2, 2));
        if (dp.UdpPuntNodes[port] == 0)
        {
            return true;
        }

        if (port != VxlanPort)
        {
            return false;
        }

        if (length - ihl < 16)
        {
            return true;
        }

        var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + 12, 4));
        var vni = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + ihl + 12, 4)) >> 8;
        return !dp.VxlanLookup.ContainsKey((src, dst, vni));
    }

    /// <summary>The rule of <paramref name="address"/>, or null (a linear scan: a node has one or two rules).</summary>
    public static StnRuleEntry? Find(StnRuleEntry[] rules, uint address)
    {
        foreach (var r in rules)
        {
            if (r.Address == address)
            {
                return r;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var rules = Dataplane.StnRuleArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var p = Pool.Data(b);
            var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 16, 4));
            var rule = Find(rules, dst);
            if (rule is null)
            {
                ctx.Drop(b, Error(_errNoRule));
                continue;
            }

            var rw = rule.Adjacency.Rewrite;
            if (rw is null)
            {
                ctx.Drop(b, Error(_errUnresolved));
                continue;
            }

            if (m.CurrentData < 14)
            {
                ctx.Drop(b, Error(_errHeadroom));
                continue;
            }

            m.CurrentData -= 14;
            m.CurrentLength += 14;
            m.L2Offset = m.CurrentData;
            new ReadOnlySpan<byte>(rw).CopyTo(new Span<byte>(p - 14, 14));
            m.TxSwIfIndex = rule.SwIfIndex;
            ctx.CountError(Error(_punted));
            ctx.Enqueue(Next(_nextOutput), b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        // Traced on entry: the buffer starts at the IPv4 header.
        var ip = Pool.Span(buffer);
        var dst = ip.Length >= 20 ? BinaryPrimitives.ReadUInt32BigEndian(ip[16..]) : 0;
        var rule = Find(Dataplane.StnRuleArray, dst);
        var to = rule is null ? "no rule" : Dataplane.Interface(rule.SwIfIndex)?.DevName ?? "?";
        return $"stn rule address {Ip4Address.Format(dst)} -> {to}";
    }
}
