using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Nat;

/// <summary>
/// What the NAT44 graph nodes share: one error counter per <see cref="NatDropReason"/> (named as the
/// engine names them, so <c>show errors</c> lists every NAT drop), the per-vector lock and expiry,
/// and the mapping between the engine's VRFs (table ids) and the graph's FIB indexes.
/// </summary>
internal abstract class NatFeatureNode : GraphNode
{
    /// <summary>Sessions (per timeout class) and affinity slots <see cref="Nat44.Expire"/> may examine per vector.</summary>
    public const int ExpireBudget = 64;

    private readonly ErrorSlot[] _drops;
    private readonly ErrorSlot _errTranslated;
    private readonly ErrorSlot _errNoFib;

    /// <summary>Creates the node and its counters.</summary>
    protected NatFeatureNode(string name)
        : base(name, NodeKind.Internal)
    {
        _drops = new ErrorSlot[NatCounters.DropNames.Length];
        for (var r = 1; r < _drops.Length; r++)
        {
            _drops[r] = AddError(NatCounters.DropNames[r]);
        }

        _errTranslated = AddError("packets translated");
        _errNoFib = AddError("translated to a VRF that does not exist");
    }

    /// <summary>Global error index of a drop reason.</summary>
    protected int DropError(NatDropReason reason) => Error(_drops[(int)reason]);

    /// <summary>Counts a translated packet.</summary>
    protected void CountTranslated(WorkerContext ctx) => ctx.CountError(Error(_errTranslated));

    /// <summary>Global error index of "translated to a VRF that does not exist".</summary>
    protected int NoFibError => Error(_errNoFib);

    /// <inheritdoc />
    public sealed override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var nat = Dataplane.NatIfCreated;
        if (nat is null)
        {
            // Not configured (cannot happen once a feature is enabled, which creates the engine).
            foreach (var b in buffers)
            {
                Pass(ctx, b);
            }

            return;
        }

        // The engine is single-caller: one lock per vector (uncontended: tens of ns, no allocation).
        lock (Dataplane.NatLock)
        {
            var now = Dataplane.NatNow();
            nat.Expire(now, ExpireBudget);
            Translate(ctx, nat, buffers, now);
        }
    }

    /// <summary>Translates a vector (called with the NAT lock held).</summary>
    protected abstract void Translate(WorkerContext ctx, Nat44 nat, ReadOnlySpan<int> buffers, double now);

    /// <summary>Lets a packet continue on this node's arc.</summary>
    protected abstract void Pass(WorkerContext ctx, int buffer);

    /// <summary>Table id of FIB index <paramref name="fibIndex"/> (the engine keys flows by table id).</summary>
    protected uint TableOf(int fibIndex) => Dataplane.FibArray[fibIndex]!.TableId;

    /// <summary>True when the destination address changed between two reads (for output-arc re-routing).</summary>
    protected static uint DestinationOf(Span<byte> ip) => BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);

    /// <summary>True when the L4 checksum of the packet is partial (GSO super-frame or virtio NEEDS_CSUM).</summary>
    protected static bool ChecksumPartial(in BufferMeta m) => (m.Flags & BufferFlags.ChecksumPartial) != 0;

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        return $"NAT44 {Name}: sw_if_index {m.RxSwIfIndex} tx {m.TxSwIfIndex} fib {m.FibIndex}{(m.NatTranslated ? " (already translated)" : "")}";
    }
}
