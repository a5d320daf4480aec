using System.Buffers.Binary;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-input: header checks (length, version, IHL, total length, checksum), trims Ethernet padding,
/// selects the rx interface's FIB and enters the ip4-unicast feature arc (then ip4-lookup).
/// </summary>
internal sealed class Ip4InputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-input";

    private readonly NextSlot _nextLookup;
    private readonly ErrorSlot _errTooShort;
    private readonly ErrorSlot _errVersion;
    private readonly ErrorSlot _errIhl;
    private readonly ErrorSlot _errLength;
    private readonly ErrorSlot _errChecksum;

    /// <summary>Creates the node.</summary>
    public Ip4InputNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextLookup = AddNext("ip4-lookup");
        _errTooShort = AddError("ip4 length < 20 bytes");
        _errVersion = AddError("ip4 version != 4");
        _errIhl = AddError("ip4 header length < 20 or > packet");
        _errLength = AddError("ip4 length > l2 length or < header");
        _errChecksum = AddError("bad ip4 checksum");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var len = m.CurrentLength;
            if (len < 20)
            {
                ctx.Drop(b, Error(_errTooShort));
                continue;
            }

            var p = Pool.Data(b);
            var vihl = p[0];
            if ((vihl >> 4) != 4)
            {
                ctx.Drop(b, Error(_errVersion));
                continue;
            }

            var ihl = (vihl & 15) << 2;
            if (ihl < 20 || ihl > len)
            {
                ctx.Drop(b, Error(_errIhl));
                continue;
            }

            int total = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + 2, 2));
            if (total < ihl || total > len)
            {
                ctx.Drop(b, Error(_errLength));
                continue;
            }

            if (Checksum.Fold(Checksum.Sum(new ReadOnlySpan<byte>(p, ihl))) != 0xffff)
            {
                ctx.Drop(b, Error(_errChecksum));
                continue;
            }

            m.CurrentLength = total;
            var intf = ifs[m.RxSwIfIndex]!;
            ctx.IfCounters[m.RxSwIfIndex].Ip4++;
            m.FibIndex = intf.FibIndex;
            var features = intf.FeatureChains[FeatureArcs.Ip4Unicast];
            if (features.Length != 0)
            {
                m.FeatureArcPosition = 0;
                ctx.Enqueue(features[0], b);
            }
            else
            {
                ctx.Enqueue(Next(_nextLookup), b);
            }
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer) => EthernetFormat.DescribeIp4(Pool.Span(buffer));
}
