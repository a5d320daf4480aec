using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-arp (glean and incomplete adjacencies): resolved next hops continue to ip4-rewrite; otherwise
/// the packet waits in the neighbour's pending queue and an ARP request is sent (rate limited).
/// A resolved (interface, address) is remembered in the worker's <see cref="WorkerContext.ArpCache"/>, so
/// the packets after the first skip the neighbour table's lock and lookup; an entry is used only while
/// its adjacency is still published and resolved (a removed neighbour clears the rewrite, a reclaimed
/// adjacency leaves the array), so table changes need no invalidation.
/// Input: <see cref="BufferMeta.TxSwIfIndex"/> = interface, <see cref="BufferMeta.ArpTarget"/> = address to resolve.
/// </summary>
internal sealed class Ip4ArpNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-arp";

    private readonly NextSlot _nextOutput;
    private readonly NextSlot _nextRewrite;
    private readonly ErrorSlot _errRequestSent;
    private readonly ErrorSlot _errQueued;
    private readonly ErrorSlot _errQueueFull;
    private readonly ErrorSlot _errNoSource;
    private readonly ErrorSlot _errNoBuffer;
    private readonly ErrorSlot _errDown;
    private readonly ErrorSlot _errTableFull;
    private readonly ErrorSlot _errGlobalQueueFull;

    /// <summary>Creates the node.</summary>
    public Ip4ArpNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextOutput = AddNext("interface-output");
        _nextRewrite = AddNext("ip4-rewrite");
        _errRequestSent = AddError("ARP requests sent");
        _errQueued = AddError("packets queued for address resolution");
        _errQueueFull = AddError("address resolution queue full");
        _errNoSource = AddError("no source address for ARP request");
        _errNoBuffer = AddError("no buffer for ARP request");
        _errDown = AddError("interface is down");
        _errTableFull = AddError("neighbor table full for the interface");
        _errGlobalQueueFull = AddError("address resolution queues full (all neighbors)");
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
            var ip = m.ArpTarget;
            var intf = ifs[sw]!;
            if (!intf.AdminUp)
            {
                ctx.Drop(b, Error(_errDown));
                continue;
            }

            // Fast path: a neighbour this worker already resolved (VPP's /32 adjacency for an attached
            // host): its adjacency from the worker's cache, without the table's lock or dictionary.
            var cache = ctx.ArpCache;
            var slot = WorkerContext.ArpCacheSlot(sw, ip);
            if (cache[slot] is { } hit && hit.NextHop == ip && hit.SwIfIndex == sw && hit.Rewrite is not null && IsLive(hit))
            {
                m.AdjIndex = hit.Index;
                ctx.Enqueue(Next(_nextRewrite), b);
                continue;
            }

            var src = Dataplane.SourceAddressFor(sw, ip);
            if (src == 0)
            {
                ctx.Drop(b, Error(_errNoSource));
                continue;
            }

            Arp.Adjacency? adj;
            bool send;
            int evicted;
            Arp.NeighborRefusal refused;
            lock (nt.Lock)
            {
                adj = nt.ResolveOrQueue(sw, ip, b, out send, out evicted, out refused);
            }

            if (adj is not null)
            {
                cache[slot] = adj;
                m.AdjIndex = adj.Index;
                ctx.Enqueue(Next(_nextRewrite), b);
                continue;
            }

            if (refused == Arp.NeighborRefusal.TableFull)
            {
                ctx.Drop(b, Error(_errTableFull));
                continue;
            }

            if (refused == Arp.NeighborRefusal.QueueFull)
            {
                ctx.Drop(b, Error(_errGlobalQueueFull));
            }
            else
            {
                ctx.CountError(Error(_errQueued));
            }

            if (evicted >= 0)
            {
                ctx.Drop(evicted, Error(_errQueueFull));
            }

            if (send)
            {
                var req = ctx.Buffers.Alloc();
                if (req < 0)
                {
                    ctx.CountError(Error(_errNoBuffer));
                    continue;
                }

                BuildRequest(req, intf.Mac, src, ip);
                ref var rm = ref Pool.Meta(req);
                rm.TxSwIfIndex = sw;
                rm.RxSwIfIndex = sw;
                rm.Flags |= BufferFlags.LocallyOriginated;
                ctx.CountError(Error(_errRequestSent));
                ctx.Enqueue(Next(_nextOutput), req);
            }
        }
    }

    // The adjacency is still published (not reclaimed with its neighbour and its index reused).
    private bool IsLive(Arp.Adjacency a)
    {
        var adjs = Dataplane.Neighbors.Adjacencies;
        return (uint)a.Index < (uint)adjs.Length && ReferenceEquals(adjs[a.Index], a);
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
        return $"resolve {Ip4Address.Format(m.ArpTarget)} on {Dataplane.Interface(m.TxSwIfIndex)?.DevName}";
    }
}
