namespace Contiv.Vpp.Graph;

/// <summary>
/// Node failure containment (VPP would crash; a pod must not be able to take the node offline with one
/// crafted packet): when a node throws, the packets of its vector that it had not yet handed on or
/// freed are dropped under the node's <see cref="GraphNode.ExceptionReason"/> counter, the failure is
/// logged (rate-limited per node by <see cref="Dataplane"/>), and the graph run continues.
/// </summary>
public sealed partial class WorkerContext
{
    /// <summary>Node failures contained on this thread (tests, show errors has the per-node counts).</summary>
    public long NodeFailures { get; private set; }

    private void ContainNodeFailure(GraphNode node, ReadOnlySpan<int> buffers, Exception e)
    {
        NodeFailures++;
        // Which buffers did the node still own when it threw? Those it handed on sit in a pending frame
        // or a resolution queue, those it freed in a free stack. Cold path: allocation is fine here.
        var handled = new bool[_dp.Buffers.Count];
        _dp.Buffers.MarkFree(handled);
        Buffers.MarkCached(handled);
        MarkTxQueued(handled);
        foreach (var frame in _pending)
        {
            for (var i = 0; i < frame.Count; i++)
            {
                handled[frame.Buffers[i]] = true;
            }
        }

        lock (_dp.Neighbors.Lock)
        {
            _dp.Neighbors.MarkPending(handled);
        }

        var rx = -1;
        var dropped = 0;
        foreach (var b in buffers)
        {
            if ((uint)b >= (uint)handled.Length || handled[b])
            {
                continue;
            }

            // Only packets still owned by the node: enqueueing a buffer twice would be a double free later.
            handled[b] = true;
            ref var m = ref _dp.Buffers.Meta(b);
            if (rx < 0)
            {
                rx = m.RxSwIfIndex;
            }

            if (node.Index == _dp.ErrorDropIndex)
            {
                // error-drop itself failed: handing the packet back to it could fail forever.
                CountError(node.ExceptionError);
                Buffers.Free(b);
            }
            else
            {
                Drop(b, node.ExceptionError);
            }

            dropped++;
        }

        if (dropped == 0)
        {
            CountError(node.ExceptionError);
        }

        _dp.ReportNodeFailure(this, node, rx, dropped, e);
    }

    /// <summary>A device's poll threw: counted under its input node and logged (rate-limited); its buffers in hand may be lost.</summary>
    internal void ContainInputFailure(string inputNode, int swIfIndex, Exception e)
    {
        NodeFailures++;
        var node = _dp.Graph.Nodes[_dp.Graph.IndexOf(inputNode)];
        CountError(node.ExceptionError);
        _dp.ReportNodeFailure(this, node, swIfIndex, 0, e);
    }
}
