using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-arp (glean and incomplete adjacencies): resolved next hops continue to ip4-rewrite; otherwise
/// the packet waits in the neighbour's pending queue and an ARP request is sent (rate limited).
/// Input: <see cref="BufferMeta.TxSwIfIndex"/> = interface, <see cref="BufferMeta.Scratch"/> = address to resolve.
/// </summary>
public sealed class Ip4ArpNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-arp";

    private const int NextOutput = 0;
    private const int NextRewrite = 1;

    private const int ErrRequestSent = 0;
    private const int ErrQueued = 1;
    private const int ErrQueueFull = 2;
    private const int ErrNoSource = 3;
    private const int ErrNoBuffer = 4;
    private const int ErrDown = 5;

    /// <summary>Creates the node.</summary>
    public Ip4ArpNode()
        : base(NodeName, NodeKind.Internal, ["interface-output", "ip4-rewrite"],
            ["ARP requests sent", "packets queued for address resolution", "address resolution queue full", "no source address for ARP request", "no buffer for ARP request", "interface is down"])
    {
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var nt = Dataplane.Neighbors;
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var sw = m.TxSwIfIndex;
            var ip = m.Scratch;
            var intf = ifs[sw]!;
            if (!intf.AdminUp)
            {
                ctx.Drop(b, Error(ErrDown));
                continue;
            }

            var src = Dataplane.SourceAddressFor(sw, ip);
            if (src == 0)
            {
                ctx.Drop(b, Error(ErrNoSource));
                continue;
            }

            Arp.Adjacency? adj;
            bool send;
            int evicted;
            lock (nt.Lock)
            {
                adj = nt.ResolveOrQueue(sw, ip, b, out send, out evicted);
            }

            if (adj is not null)
            {
                m.AdjIndex = adj.Index;
                ctx.Enqueue(Next(NextRewrite), b);
                continue;
            }

            ctx.CountError(Error(ErrQueued));
            if (evicted >= 0)
            {
                ctx.Drop(evicted, Error(ErrQueueFull));
            }

            if (send)
            {
                var req = ctx.Buffers.Alloc();
                if (req < 0)
                {
                    ctx.CountError(Error(ErrNoBuffer));
                    continue;
                }

                BuildRequest(req, intf.Mac, src, ip);
                ref var rm = ref Pool.Meta(req);
                rm.TxSwIfIndex = sw;
                rm.RxSwIfIndex = sw;
                rm.Flags |= BufferFlags.LocallyOriginated;
                ctx.CountError(Error(ErrRequestSent));
                ctx.Enqueue(Next(NextOutput), req);
            }
        }
    }

    private unsafe void BuildRequest(int buffer, MacAddress srcMac, uint srcIp, uint targetIp)
    {
        ref var m = ref Pool.Meta(buffer);
        m.CurrentLength = 42;
        var s = new Span<byte>(Pool.Data(buffer), 42);
        MacAddress.Broadcast.Write(s);
        srcMac.Write(s[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(s[12..], 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(s[14..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(s[16..], 0x0800);
        s[18] = 6;
        s[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(s[20..], 1);
        srcMac.Write(s[22..]);
        BinaryPrimitives.WriteUInt32BigEndian(s[28..], srcIp);
        MacAddress.Zero.Write(s[32..]);
        BinaryPrimitives.WriteUInt32BigEndian(s[38..], targetIp);
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        return $"resolve {Ip4Address.Format(m.Scratch)} on {Dataplane.Interface(m.TxSwIfIndex)?.DevName}";
    }
}
