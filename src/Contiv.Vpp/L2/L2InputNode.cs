using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.L2;

/// <summary>
/// l2-input: bridging of frames received on a bridge-domain member (or sent by its BVI). Learns the
/// source MAC when enabled, forwards known unicast to the member (the BVI delivers to L3 through
/// ethernet-input), floods broadcast/multicast and unknown unicast per the domain's flags, honouring
/// split-horizon groups. Flooding copies the frame per extra member (cold compared to unicast).
/// </summary>
internal sealed class L2InputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "l2-input";

    private readonly NextSlot _nextOutput;
    private readonly NextSlot _nextEthernet;
    private readonly ErrorSlot _errNoBd;
    private readonly ErrorSlot _errFloodOff;
    private readonly ErrorSlot _errUuDrop;
    private readonly ErrorSlot _errForwardOff;
    private readonly ErrorSlot _errSameIf;
    private readonly ErrorSlot _errShg;
    private readonly ErrorSlot _errNoBuffer;
    private readonly ErrorSlot _errLearned;
    private readonly ErrorSlot _errShort;

    /// <summary>Creates the node.</summary>
    public L2InputNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextOutput = AddNext("interface-output");
        _nextEthernet = AddNext("ethernet-input");
        _errNoBd = AddError("interface not in a bridge domain");
        _errFloodOff = AddError("L2 flood disabled (broadcast dropped)");
        _errUuDrop = AddError("L2 unknown unicast dropped");
        _errForwardOff = AddError("L2 forwarding disabled");
        _errSameIf = AddError("L2 destination on the input interface");
        _errShg = AddError("L2 split horizon drop");
        _errNoBuffer = AddError("no buffer for L2 flood copy");
        _errLearned = AddError("L2 MACs learned");
        _errShort = AddError("L2 frame too short");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        var bds = Dataplane.BridgeDomainArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var rx = ifs[m.RxSwIfIndex]!;
            var bdIndex = rx.BridgeDomain;
            if ((uint)bdIndex >= (uint)bds.Length || bds[bdIndex] is not { } bd)
            {
                ctx.Drop(b, Error(_errNoBd));
                continue;
            }

            if (m.CurrentLength < 14)
            {
                ctx.Drop(b, Error(_errShort));
                continue;
            }

            var p = Pool.Data(b);
            var dst = MacAddress.Read(new ReadOnlySpan<byte>(p, 6)).Value;
            var src = MacAddress.Read(new ReadOnlySpan<byte>(p + 6, 6)).Value;
            if (bd.Learn && (src >> 40 & 1) == 0)
            {
                Learn(ctx, bd, src, rx.SwIfIndex);
            }

            if ((dst >> 40 & 1) != 0)
            {
                if (!bd.Flood)
                {
                    ctx.Drop(b, Error(_errFloodOff));
                    continue;
                }

                FloodFrame(ctx, bd, b, rx.SwIfIndex, rx.IsBvi ? 0 : rx.SplitHorizonGroup);
                continue;
            }

            if (bd.Fib.TryGetValue(dst, out var e))
            {
                if (!bd.Forward)
                {
                    ctx.Drop(b, Error(_errForwardOff));
                    continue;
                }

                if (e.SwIfIndex == rx.SwIfIndex)
                {
                    ctx.Drop(b, Error(_errSameIf));
                    continue;
                }

                var tx = ifs[e.SwIfIndex];
                if (tx is null || tx.BridgeDomain != bd.Index)
                {
                    ctx.Drop(b, Error(_errNoBd));
                    continue;
                }

                // Split horizon never applies to the BVI (Contiv puts the BVI and every tunnel in group 1).
                if (rx.SplitHorizonGroup != 0 && rx.SplitHorizonGroup == tx.SplitHorizonGroup && !rx.IsBvi && !tx.IsBvi)
                {
                    ctx.Drop(b, Error(_errShg));
                    continue;
                }

                SendTo(ctx, b, e.SwIfIndex, bd);
                continue;
            }

            if (!bd.UnknownUnicastFlood)
            {
                ctx.Drop(b, Error(_errUuDrop));
                continue;
            }

            FloodFrame(ctx, bd, b, rx.SwIfIndex, rx.SplitHorizonGroup);
        }
    }

    private void SendTo(WorkerContext ctx, int b, int sw, BridgeDomain bd)
    {
        ref var m = ref Pool.Meta(b);
        if (sw == bd.Bvi)
        {
            // Up into L3 on the BVI: ethernet-input sees it as received on the BVI.
            m.RxSwIfIndex = sw;
            ref var c = ref ctx.IfCounters[sw];
            c.RxPackets++;
            c.RxBytes += m.CurrentLength;
            ctx.Enqueue(Next(_nextEthernet), b);
            return;
        }

        m.TxSwIfIndex = sw;
        ctx.Enqueue(Next(_nextOutput), b);
    }

    private unsafe void FloodFrame(WorkerContext ctx, BridgeDomain bd, int b, int rxSw, int rxShg)
    {
        var ifs = Dataplane.InterfaceArray;
        var members = bd.Members;
        var last = -1;
        foreach (var sw in members)
        {
            if (sw == rxSw || ifs[sw] is not { } mi || (rxShg != 0 && mi.SplitHorizonGroup == rxShg && !mi.IsBvi))
            {
                continue;
            }

            if (last >= 0)
            {
                var copy = ctx.Buffers.Alloc();
                if (copy < 0)
                {
                    ctx.CountError(Error(_errNoBuffer));
                    continue;
                }

                ref var om = ref Pool.Meta(b);
                ref var cm = ref Pool.Meta(copy);
                var len = om.CurrentLength;
                new ReadOnlySpan<byte>(Pool.Data(b), len).CopyTo(new Span<byte>(Pool.Data(copy), len));
                cm.CurrentLength = len;
                cm.RxSwIfIndex = om.RxSwIfIndex;
                cm.Flags = om.Flags & ~BufferFlags.Traced;
                cm.Gso = om.Gso;
                cm.GsoSize = om.GsoSize;
                cm.GsoHeaderLength = om.GsoHeaderLength;
                cm.CsumStart = om.CsumStart;
                cm.CsumOffset = om.CsumOffset;
                SendTo(ctx, copy, last, bd);
            }

            last = sw;
        }

        if (last >= 0)
        {
            SendTo(ctx, b, last, bd);
        }
        else
        {
            ctx.Buffers.Free(b);
        }
    }

    private void Learn(WorkerContext ctx, BridgeDomain bd, ulong mac, int sw)
    {
        if (bd.Fib.TryGetValue(mac, out var e))
        {
            if (e.SwIfIndex == sw || e.Static)
            {
                e.LastSeenTicks = Environment.TickCount64;
                return;
            }
        }

        // New MAC or a move: allocation happens once per learned MAC, not per packet.
        bd.Fib[mac] = new L2FibEntry(mac, sw, false, false);
        ctx.CountError(Error(_errLearned));
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        var s = Pool.Span(buffer);
        var rx = Dataplane.Interface(m.RxSwIfIndex);
        return s.Length < 14 ? "truncated" : $"l2-input: sw_if_index {m.RxSwIfIndex} ({rx?.DevName}) bd {rx?.BridgeDomain} src {MacAddress.Read(s[6..])} dst {MacAddress.Read(s)}";
    }
}
