using System.Buffers.Binary;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-lookup: longest-prefix match in the packet's FIB, following inter-VRF and recursive entries
/// (bounded depth), then to ip4-rewrite (adjacency), ip4-local (receive), ip4-arp (glean) or a drop.
/// </summary>
internal sealed class Ip4LookupNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-lookup";

    private readonly NextSlot _nextRewrite;
    private readonly NextSlot _nextLocal;
    private readonly NextSlot _nextArp;
    private readonly ErrorSlot _errMiss;
    private readonly ErrorSlot _errDropRoute;
    private readonly ErrorSlot _errSpecial;
    private readonly ErrorSlot _errLoop;

    /// <summary>Creates the node.</summary>
    public Ip4LookupNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextRewrite = AddNext("ip4-rewrite");
        _nextLocal = AddNext("ip4-local");
        _nextArp = AddNext("ip4-arp");
        _errMiss = AddError("ip4 destination lookup miss");
        _errDropRoute = AddError("ip4 drop route");
        _errSpecial = AddError("ip4 special address drop");
        _errLoop = AddError("ip4 lookup recursion too deep");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var fibs = Dataplane.FibArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var p = Pool.Data(b);
            var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 16, 4));
            var table = fibs[m.FibIndex]!;
            var key = dst;
            var dpo = table.Lookup(key).Forwarding;
            var depth = 0;
            while (true)
            {
                if (dpo.Paths is { } paths)
                {
                    // ECMP: flow hash over src/dst (and ports would be nicer; addresses keep it cheap).
                    var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 12, 4));
                    var h = (src ^ dst) * 0x9e3779b1u;
                    dpo = paths[(int)((h >> 16) % (uint)paths.Length)];
                }

                switch (dpo.Kind)
                {
                    case DpoKind.Adjacency:
                        m.AdjIndex = dpo.AdjIndex;
                        ctx.Enqueue(Next(_nextRewrite), b);
                        goto done;
                    case DpoKind.Receive:
                        ctx.Enqueue(Next(_nextLocal), b);
                        goto done;
                    case DpoKind.Glean:
                        m.TxSwIfIndex = dpo.SwIfIndex;
                        m.ArpTarget = key;
                        ctx.Enqueue(Next(_nextArp), b);
                        goto done;
                    case DpoKind.Drop:
                        ctx.Drop(b, Error(dpo.DropReason switch
                        {
                            DropReason.DropRoute => _errDropRoute,
                            DropReason.Special => _errSpecial,
                            _ => _errMiss,
                        }));
                        goto done;
                }

                if (++depth > 4)
                {
                    ctx.Drop(b, Error(_errLoop));
                    goto done;
                }

                if (dpo.Kind == DpoKind.LookupInTable)
                {
                    table = fibs[dpo.TableIndex]!;
                    m.FibIndex = table.Index;
                }
                else
                {
                    // Recursive: resolve the next hop in the same table; an attached result ARPs for the next hop.
                    key = dpo.Address;
                }

                dpo = table.Lookup(key).Forwarding;
            }

        done:;
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        var s = Pool.Span(buffer);
        var table = Dataplane.FibArray[m.FibIndex]!;
        var dst = s.Length >= 20 ? BinaryPrimitives.ReadUInt32BigEndian(s[16..]) : 0;
        var e = table.Lookup(dst);
        return $"fib {table.TableId} prefix {Ip4Address.Format(e.Network)}/{e.Length} dpo {e.Forwarding.Kind.ToString().ToLowerInvariant()}\n{EthernetFormat.DescribeIp4(s).Split('\n')[0]}";
    }
}
