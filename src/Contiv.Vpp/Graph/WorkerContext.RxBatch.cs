using Contiv.Linux.Interop;

namespace Contiv.Vpp.Graph;

/// <summary>
/// Batched receive (issue 21, round four): a device reads several frames with one
/// <c>io_uring_enter</c> on the worker's ring (the one that batches writes, <see cref="FlushTx"/>)
/// instead of one <c>read()</c> per frame plus one answered EAGAIN per wake-up. The reads carry
/// RWF_NOWAIT, so every one is issued inline, in order, during the call: the first ones return
/// frames, the rest EAGAIN once the queue is empty (without the flag io_uring parks a read of an
/// empty tun queue until a frame arrives, even on an O_NONBLOCK fd, and the call would wait for it). Writes queued earlier in the pass go out in the
/// same call. The caller sizes each batch from what the previous one got (<c>TapInterfaceDevice</c>).
/// </summary>
public sealed partial class WorkerContext
{
    /// <summary>Most reads in one batch.</summary>
    internal const int MaxRxBatch = 32;

    // Completions of reads carry this bit plus the read's position in the batch; writes carry their slot.
    private const ulong RxTag = 1UL << 62;
    private const int MaxSubmitFailures = 64;

    private readonly int[] _rxResults = new int[MaxRxBatch];
    private int _rxCompleted;
    private bool _rxBroken;

    /// <summary>True when devices on this context read in batches (a worker with io_uring, <see cref="DataplaneOptions.BatchRx"/>).</summary>
    internal bool BatchesRx => _tx is not null && !_rxBroken && _dp.Options.BatchRx;

    /// <summary><c>io_uring_enter</c> calls that carried reads (show runtime, tests).</summary>
    public long RxBatchCalls { get; private set; }

    /// <summary>Reads issued through those calls, frames and EAGAIN alike.</summary>
    public long RxBatchReads { get; private set; }

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes into each of <paramref name="count"/> destinations
    /// from <paramref name="fd"/> with one system call; the results (bytes, or −errno) are in
    /// <see cref="RxResults"/>[0..count). False when this context cannot batch (the caller reads
    /// directly); the buffers are then untouched.
    /// </summary>
    internal unsafe bool ReadBatch(int fd, nint* destinations, uint length, int count)
    {
        var ring = _tx;
        if (ring is null || _rxBroken || count <= 0 || count > MaxRxBatch)
        {
            return false;
        }

        if (ring.Entries - ring.Pending < count)
        {
            FlushTx();
            if (ring.Entries - ring.Pending < count)
            {
                return false;
            }
        }

        for (var i = 0; i < count; i++)
        {
            _ = ring.QueueReadNoWait(fd, (void*)destinations[i], length, RxTag | (uint)i);
        }

        _rxCompleted = 0;
        RxBatchCalls++;
        RxBatchReads += count;
        var failures = 0;
        // Wait for as many completions as reads: they all complete inline (non-blocking fd), so this
        // returns at once; the loop covers an interrupted or refused submission.
        var wait = count;
        while (true)
        {
            var r = ring.Submit(wait);
            ReapTx(ring);
            if (_rxCompleted >= count)
            {
                if (_rxResults[0] == -Errno.EOPNOTSUPP)
                {
                    // This kernel cannot issue a non-waiting read on the fd: read one frame per read() from now on.
                    _rxBroken = true;
                }

                return true;
            }

            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY && ++failures > MaxSubmitFailures)
            {
                // The ring is unusable: the reads may still be pending in the kernel, so their buffers
                // must never be reused (the caller leaks them) and this context stops batching reads.
                _rxBroken = true;
                throw new IOException($"{Name}: io_uring_enter for reads failed: errno {-r}");
            }

            wait = 1;
        }
    }

    /// <summary>Results of the last <see cref="ReadBatch"/>, by position.</summary>
    internal ReadOnlySpan<int> RxResults => _rxResults;

    // Called by ReapTx for a completion tagged RxTag.
    private void CompleteRead(ulong userData, int result)
    {
        _rxResults[(int)(userData & (MaxRxBatch - 1))] = result;
        _rxCompleted++;
    }

    private static bool IsRead(ulong userData) => (userData & RxTag) != 0;
}
