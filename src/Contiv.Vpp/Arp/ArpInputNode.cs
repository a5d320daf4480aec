using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Arp;

/// <summary>
/// arp-input: validates ARP (Ethernet/IPv4, lengths 6/4, request or reply), learns the sender when
/// the packet is for one of our addresses or refreshes a known neighbour, releases packets waiting
/// for that neighbour to ip4-rewrite, and replies in place to requests for our addresses (own or
/// unnumbered donor's) and for proxy-ARP ranges.
/// </summary>
internal sealed class ArpInputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "arp-input";

    private readonly NextSlot _nextOutput;
    private readonly NextSlot _nextRewrite;
    private readonly ErrorSlot _errShort;
    private readonly ErrorSlot _errBadFormat;
    private readonly ErrorSlot _errBadOpcode;
    private readonly ErrorSlot _errRepliesSent;
    private readonly ErrorSlot _errNotForUs;
    private readonly ErrorSlot _errRepliesReceived;
    private readonly ErrorSlot _errBadSender;
    private readonly ErrorSlot _errProxyReplies;
    private readonly ErrorSlot _errOffLink;
    private readonly ErrorSlot _errTableFull;

    /// <summary>Creates the node.</summary>
    public ArpInputNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextOutput = AddNext("interface-output");
        _nextRewrite = AddNext("ip4-rewrite");
        _errShort = AddError("ARP packet too short");
        _errBadFormat = AddError("ARP hardware/protocol type or address length invalid");
        _errBadOpcode = AddError("ARP opcode not request or reply");
        _errRepliesSent = AddError("ARP replies sent");
        _errNotForUs = AddError("ARP request for an address not ours");
        _errRepliesReceived = AddError("ARP replies received");
        _errBadSender = AddError("ARP sender address invalid");
        _errProxyReplies = AddError("proxy ARP replies sent");
        _errOffLink = AddError("ARP sender not learned: outside the interface's subnets");
        _errTableFull = AddError("ARP sender not learned: neighbor table full for the interface");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        var nt = Dataplane.Neighbors;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            if (m.CurrentLength < 28)
            {
                ctx.Drop(b, Error(_errShort));
                continue;
            }

            var a = new Span<byte>(Pool.Data(b), 28);
            if (BinaryPrimitives.ReadUInt16BigEndian(a) != 1 || BinaryPrimitives.ReadUInt16BigEndian(a[2..]) != 0x0800 || a[4] != 6 || a[5] != 4)
            {
                ctx.Drop(b, Error(_errBadFormat));
                continue;
            }

            var op = BinaryPrimitives.ReadUInt16BigEndian(a[6..]);
            if (op is not (1 or 2))
            {
                ctx.Drop(b, Error(_errBadOpcode));
                continue;
            }

            var senderMac = MacAddress.Read(a[8..]);
            var senderIp = BinaryPrimitives.ReadUInt32BigEndian(a[14..]);
            var targetIp = BinaryPrimitives.ReadUInt32BigEndian(a[24..]);
            var sw = m.RxSwIfIndex;
            var intf = ifs[sw]!;
            if (senderMac.IsMulticast || senderMac.Value == 0 || (senderIp >> 28) >= 0xe)
            {
                ctx.Drop(b, Error(_errBadSender));
                continue;
            }

            var forUs = Dataplane.IsLocalAddress(sw, targetIp);
            var proxy = !forUs && op == 1 && intf.ProxyArp && targetIp != senderIp && Dataplane.IsProxyArpTarget(intf.FibIndex, targetIp);

            // Learn: create when the packet is addressed to us, otherwise only refresh a known neighbour.
            if (senderIp != 0)
            {
                var released = ctx.ScratchList;
                released.Clear();
                lock (nt.Lock)
                {
                    // A known (or awaited) neighbour is refreshed; a new one is learned only from the
                    // interface's own subnets, so random sender addresses cannot fill the table.
                    var known = nt.Find(sw, senderIp) is not null;
                    var learn = known || (forUs && Dataplane.IsOnLink(sw, senderIp));
                    var n = learn ? nt.Update(sw, senderIp, senderMac, false, released) : null;
                    if (learn && n is null)
                    {
                        ctx.CountError(Error(_errTableFull));
                    }
                    else if (forUs && !learn)
                    {
                        ctx.CountError(Error(_errOffLink));
                    }

                    if (n is not null)
                    {
                        if (released.Count > 0)
                        {
                            var adj = nt.GetOrCreateAdjacency(sw, senderIp);
                            foreach (var held in released)
                            {
                                Pool.Meta(held).AdjIndex = adj.Index;
                            }
                        }
                    }
                }

                foreach (var held in released)
                {
                    ctx.Enqueue(Next(_nextRewrite), held);
                }
            }

            if (op == 2)
            {
                ctx.CountError(Error(_errRepliesReceived));
                ctx.Buffers.Free(b);
                continue;
            }

            if (!forUs && !proxy)
            {
                ctx.CountError(Error(_errNotForUs));
                ctx.Buffers.Free(b);
                continue;
            }

            // Reply in place.
            BinaryPrimitives.WriteUInt16BigEndian(a[6..], 2);
            senderMac.Write(a[18..]);
            BinaryPrimitives.WriteUInt32BigEndian(a[24..], senderIp);
            intf.Mac.Write(a[8..]);
            BinaryPrimitives.WriteUInt32BigEndian(a[14..], targetIp);
            m.CurrentData -= 14;
            m.CurrentLength = 42;
            var eth = new Span<byte>(Pool.Data(b), 14);
            senderMac.Write(eth);
            intf.Mac.Write(eth[6..]);
            m.TxSwIfIndex = sw;
            m.Flags |= BufferFlags.LocallyOriginated;
            m.Gso = GsoType.None;
            ctx.CountError(Error(proxy ? _errProxyReplies : _errRepliesSent));
            ctx.Enqueue(Next(_nextOutput), b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer) => EthernetFormat.DescribeArp(Pool.Span(buffer));
}
