using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-rewrite: TTL check and decrement (incremental checksum), MTU check for non-GSO packets,
/// prepends the adjacency's Ethernet header and sets the tx interface; unresolved adjacencies go to
/// ip4-arp. Then the ip4-output feature arc (or interface-output).
/// </summary>
internal sealed class Ip4RewriteNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-rewrite";

    private readonly NextSlot _nextOutput;
    private readonly NextSlot _nextArp;
    private readonly NextSlot _nextIcmpError;
    private readonly ErrorSlot _errTtl;
    private readonly ErrorSlot _errMtu;
    private readonly ErrorSlot _errNoAdj;
    private readonly ErrorSlot _errHeadroom;

    /// <summary>Creates the node.</summary>
    public Ip4RewriteNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextOutput = AddNext("interface-output");
        _nextArp = AddNext("ip4-arp");
        _nextIcmpError = AddNext("ip4-icmp-error");
        _errTtl = AddError("ip4 ttl <= 1");
        _errMtu = AddError("ip4 MTU exceeded and DF set");
        _errNoAdj = AddError("adjacency deleted");
        _errHeadroom = AddError("no buffer headroom for the Ethernet header");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var adjs = Dataplane.Neighbors.Adjacencies;
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var adj = (uint)m.AdjIndex < (uint)adjs.Length ? adjs[m.AdjIndex] : null;
            if (adj is null)
            {
                ctx.Drop(b, Error(_errNoAdj));
                continue;
            }

            var rw = adj.Rewrite;
            if (rw is null)
            {
                m.TxSwIfIndex = adj.SwIfIndex;
                m.ArpTarget = adj.NextHop;
                ctx.Enqueue(Next(_nextArp), b);
                continue;
            }

            if (m.CurrentData < 14)
            {
                ctx.Drop(b, Error(_errHeadroom));
                continue;
            }

            var p = Pool.Data(b);
            if ((m.Flags & BufferFlags.LocallyOriginated) != 0)
            {
                // A packet we generated skips the TTL check on its first hop only: if it comes back
                // here (a loop through a tunnel or a route), its TTL counts down like any other's.
                m.Flags &= ~BufferFlags.LocallyOriginated;
            }
            else
            {
                var ttl = p[8];
                if (ttl <= 1)
                {
                    ctx.CountError(Error(_errTtl));
                    m.IcmpErrorType = 11; // time exceeded
                    m.IcmpErrorCode = 0; // TTL exceeded in transit
                    m.IcmpErrorMtu = 0;
                    ctx.Enqueue(Next(_nextIcmpError), b);
                    continue;
                }

                var oldWord = (ushort)((ttl << 8) | p[9]);
                p[8] = (byte)(ttl - 1);
                var cs = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + 10, 2));
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(p + 10, 2), Checksum.Update(cs, oldWord, (ushort)(oldWord - 0x100)));
            }

            var tx = ifs[adj.SwIfIndex]!;
            if (m.Gso == GsoType.None && m.CurrentLength > tx.Mtu)
            {
                if ((p[6] & 0x40) != 0)
                {
                    ctx.CountError(Error(_errMtu));
                    m.IcmpErrorType = 3; // destination unreachable
                    m.IcmpErrorCode = 4; // fragmentation needed and DF set
                    m.IcmpErrorMtu = (ushort)tx.Mtu;
                    ctx.Enqueue(Next(_nextIcmpError), b);
                    continue;
                }

                // No fragmentation support: oversize packets without DF are dropped (counted).
                ctx.Drop(b, Error(_errMtu));
                continue;
            }

            m.CurrentData -= 14;
            m.CurrentLength += 14;
            m.L2Offset = m.CurrentData;
            new ReadOnlySpan<byte>(rw).CopyTo(new Span<byte>(p - 14, 14));
            m.TxSwIfIndex = adj.SwIfIndex;
            var features = tx.FeatureChains[FeatureArcs.Ip4Output];
            if (features.Length != 0)
            {
                m.FeatureArcPosition = 0;
                ctx.Enqueue(features[0], b);
            }
            else
            {
                ctx.Enqueue(Next(_nextOutput), b);
            }
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        var adjs = Dataplane.Neighbors.Adjacencies;
        var adj = (uint)m.AdjIndex < (uint)adjs.Length ? adjs[m.AdjIndex] : null;
        if (adj is null)
        {
            return $"adj-idx {m.AdjIndex} (deleted)";
        }

        var name = Dataplane.Interface(adj.SwIfIndex)?.DevName ?? "?";
        var rw = adj.Rewrite;
        return rw is null
            ? $"tx_sw_if_index {adj.SwIfIndex} adj-idx {adj.Index} : arp-ipv4: via {Ip4Address.Format(adj.NextHop)} {name} (incomplete)"
            : $"tx_sw_if_index {adj.SwIfIndex} adj-idx {adj.Index} : ipv4 via {Ip4Address.Format(adj.NextHop)} {name}: {Convert.ToHexStringLower(rw)}";
    }
}
