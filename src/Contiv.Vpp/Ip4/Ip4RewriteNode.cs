using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-rewrite: TTL check and decrement (incremental checksum), MTU check for non-GSO packets,
/// prepends the adjacency's Ethernet header and sets the tx interface; unresolved adjacencies go to
/// ip4-arp. Then the ip4-output feature arc (or interface-output).
/// </summary>
public sealed class Ip4RewriteNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-rewrite";

    private const int NextOutput = 0;
    private const int NextArp = 1;
    private const int NextIcmpError = 2;

    private const int ErrTtl = 0;
    private const int ErrMtu = 1;
    private const int ErrNoAdj = 2;

    /// <summary>Creates the node.</summary>
    public Ip4RewriteNode()
        : base(NodeName, NodeKind.Internal, ["interface-output", "ip4-arp", "ip4-icmp-error"],
            ["ip4 ttl <= 1", "ip4 MTU exceeded and DF set", "adjacency deleted"])
    {
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
                ctx.Drop(b, Error(ErrNoAdj));
                continue;
            }

            var rw = adj.Rewrite;
            if (rw is null)
            {
                m.TxSwIfIndex = adj.SwIfIndex;
                m.Scratch = adj.NextHop;
                ctx.Enqueue(Next(NextArp), b);
                continue;
            }

            var p = Pool.Data(b);
            if ((m.Flags & BufferFlags.LocallyOriginated) == 0)
            {
                var ttl = p[8];
                if (ttl <= 1)
                {
                    ctx.CountError(Error(ErrTtl));
                    m.Scratch = (11u << 8) | 0; // time exceeded, TTL exceeded in transit
                    ctx.Enqueue(Next(NextIcmpError), b);
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
                    ctx.CountError(Error(ErrMtu));
                    m.Scratch = (3u << 8) | 4 | ((uint)tx.Mtu << 16); // fragmentation needed, with next-hop MTU
                    ctx.Enqueue(Next(NextIcmpError), b);
                    continue;
                }

                // No fragmentation support: oversize packets without DF are dropped (counted).
                ctx.Drop(b, Error(ErrMtu));
                continue;
            }

            m.CurrentData -= 14;
            m.CurrentLength += 14;
            m.L2Offset = m.CurrentData;
            new ReadOnlySpan<byte>(rw).CopyTo(new Span<byte>(p - 14, 14));
            m.TxSwIfIndex = adj.SwIfIndex;
            var arc = tx.Ip4OutputFeatures;
            if (arc.Length != 0)
            {
                m.FeatureCursor = 0;
                ctx.Enqueue(arc[0], b);
            }
            else
            {
                ctx.Enqueue(Next(NextOutput), b);
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
