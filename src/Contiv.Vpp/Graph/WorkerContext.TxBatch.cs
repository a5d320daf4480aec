using Contiv.Linux.Interop;

namespace Contiv.Vpp.Graph;

/// <summary>
/// Batched transmit (issue 21): a worker queues one write per packet on its own io_uring instead of
/// calling write() per packet, and <see cref="FlushTx"/> hands the whole vector's writes to the kernel
/// with one <c>io_uring_enter</c> after the graph run. The TAP fd is non-blocking, so the kernel issues
/// every write inline during that call (no kernel threads); completions free the buffers. A buffer
/// stays owned by this context while its write is queued or in flight (<see cref="MarkTxQueued"/>).
/// Without io_uring (old kernel, <c>kernel.io_uring_disabled</c>) or on the control thread, devices
/// write directly as before.
/// </summary>
public sealed partial class WorkerContext
{
    private const int TxRingEntries = 256;
    private IoUring? _tx;
    // Queued/in-flight writes by slot: buffer index and tx sw_if_index; free slots on a stack.
    private int[] _txBuffer = [];
    private int[] _txSw = [];
    private int[] _txFreeSlots = [];
    private int _txFreeCount;

    /// <summary>True when this context batches writes (a worker with io_uring).</summary>
    internal bool BatchesTx => _tx is not null;

    /// <summary>Writes queued or in flight (not yet completed and freed).</summary>
    internal int TxOutstanding => _txBuffer.Length - _txFreeCount;

    /// <summary>Sets up the io_uring; returns the reason when the kernel refuses (then devices write directly).</summary>
    internal string? EnableTxBatching()
    {
        try
        {
            _tx = IoUring.Create(TxRingEntries);
        }
        catch (IOException e)
        {
            return e.Message;
        }

        // Twice the ring: a full ring is submitted and completes inline, while a few writes the kernel
        // had to park (socket buffer full) may still hold their slots.
        var slots = TxRingEntries * 4;
        _txBuffer = new int[slots];
        _txSw = new int[slots];
        _txFreeSlots = new int[slots];
        for (var i = 0; i < slots; i++)
        {
            _txFreeSlots[i] = slots - 1 - i;
        }

        _txFreeCount = slots;
        return null;
    }

    /// <summary>
    /// Queues a write of <paramref name="length"/> bytes at <paramref name="data"/> to <paramref name="fd"/>
    /// for <paramref name="buffer"/> (freed when it completes). False when this context does not batch:
    /// the caller writes directly.
    /// </summary>
    internal unsafe bool TryQueueWrite(int fd, byte* data, int length, int buffer, int swIfIndex)
    {
        var tx = _tx;
        if (tx is null)
        {
            return false;
        }

        if (_txFreeCount == 0 || tx.Pending >= tx.Entries)
        {
            FlushTx();
            if (_txFreeCount == 0 || tx.Pending >= tx.Entries)
            {
                return false;
            }
        }

        var slot = _txFreeSlots[--_txFreeCount];
        _txBuffer[slot] = buffer;
        _txSw[slot] = swIfIndex;
        _ = tx.QueueWrite(fd, data, (uint)length, (ulong)slot);
        return true;
    }

    /// <summary>Submits the queued writes in one system call and frees the buffers of completed ones.</summary>
    internal void FlushTx()
    {
        var tx = _tx;
        if (tx is null)
        {
            return;
        }

        for (var attempt = 0; tx.Pending > 0 && attempt < 8; attempt++)
        {
            var r = tx.Submit();
            if (r >= 0 || (r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY))
            {
                break;
            }

            // EAGAIN/EBUSY: the completion queue is full; make room and try again.
            ReapTx(tx);
        }

        ReapTx(tx);
    }

    private void ReapTx(IoUring tx)
    {
        while (tx.TryComplete(out var c))
        {
            if (IsRead(c.UserData))
            {
                CompleteRead(c.UserData, c.Result);
                continue;
            }

            var slot = (int)c.UserData;
            var buffer = _txBuffer[slot];
            if (c.Result < 0)
            {
                ref var counters = ref IfCounters[_txSw[slot]];
                if (c.Result == -Errno.EAGAIN)
                {
                    counters.TxQueueFull++;
                }
                else
                {
                    counters.TxErrors++;
                }
            }

            _txFreeSlots[_txFreeCount++] = slot;
            Buffers.Free(buffer);
        }
    }

    /// <summary>Sets <paramref name="marks"/>[b] for every buffer whose write is queued or in flight (cold path).</summary>
    internal void MarkTxQueued(bool[] marks)
    {
        if (_tx is null)
        {
            return;
        }

        var free = new bool[_txBuffer.Length];
        for (var i = 0; i < _txFreeCount; i++)
        {
            free[_txFreeSlots[i]] = true;
        }

        for (var s = 0; s < free.Length; s++)
        {
            if (!free[s])
            {
                marks[_txBuffer[s]] = true;
            }
        }
    }

    /// <summary>Closes the ring (worker shutdown).</summary>
    internal void DisposeTx()
    {
        _tx?.Dispose();
        _tx = null;
    }
}
