using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;

namespace Contiv.Vpp.Vxlan;

/// <summary>A VXLAN-over-IPv4 tunnel (its interface is <c>vxlan_tunnel&lt;instance&gt;</c>).</summary>
public sealed record VxlanTunnel
{
    /// <summary>Local VTEP address (host order).</summary>
    public uint Src { get; init; }

    /// <summary>Remote VTEP address.</summary>
    public uint Dst { get; init; }

    /// <summary>24-bit VNI.</summary>
    public uint Vni { get; init; }

    /// <summary>Table id the outer destination is looked up in.</summary>
    public uint EncapVrfId { get; init; }

    /// <summary>FIB index of <see cref="EncapVrfId"/>.</summary>
    public int EncapFibIndex { get; init; }

    /// <summary>The tunnel's interface.</summary>
    public int SwIfIndex { get; init; }

    /// <summary>Instance number.</summary>
    public int Instance { get; init; }
}

/// <summary>The device of a tunnel interface: transmitting means encapsulating (vxlan4-encap).</summary>
public sealed class VxlanDevice : Device
{
    private readonly int _encapNode;

    internal VxlanDevice(VxlanTunnel tunnel, int encapNode)
    {
        Tunnel = tunnel;
        _encapNode = encapNode;
    }

    /// <summary>The tunnel.</summary>
    public VxlanTunnel Tunnel { get; internal set; }

    /// <inheritdoc />
    public override string InputNodeName => VxlanInputNode.NodeName;

    /// <inheritdoc />
    public override string HardwareDescription => "VXLAN";

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Enqueue(_encapNode, buffer);
    }
}
