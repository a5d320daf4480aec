namespace Contiv.Vpp.Graph;

/// <summary>An input node: a named, traceable source of packets (devices account their polls to it).</summary>
internal sealed class InputNode : GraphNode
{
    /// <summary>Creates an input node whose only next is ethernet-input.</summary>
    public InputNode(string name)
        : base(name, NodeKind.Input)
    {
        _nextEthernet = AddNext("ethernet-input");
        _errNoBuffer = AddError("no free buffers");
        _errRead = AddError("read errors");
        _errShort = AddError("frame too short");
    }

    private readonly NextSlot _nextEthernet;
    private readonly ErrorSlot _errNoBuffer;
    private readonly ErrorSlot _errRead;
    private readonly ErrorSlot _errShort;

    /// <summary>Global index of ethernet-input.</summary>
    public int EthernetInput => Next(_nextEthernet);

    /// <summary>Error index: no buffer.</summary>
    public int NoBufferError => Error(_errNoBuffer);

    /// <summary>Error index: read failed.</summary>
    public int ReadError => Error(_errRead);

    /// <summary>Error index: frame shorter than the virtio header + Ethernet header.</summary>
    public int ShortError => Error(_errShort);

    /// <inheritdoc />
    public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
        => throw new InvalidOperationException($"input node {Name} does not take frames");
}
