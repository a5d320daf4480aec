using System.Diagnostics;
using System.Runtime.CompilerServices;
using Contiv.Linux.Interop;

namespace Contiv.Vpp.Buffers;

/// <summary>
/// The packet buffer arena: one anonymous mapping of <c>count</c> fixed-size buffers (big enough for a
/// 64 KB GSO super-frame plus headroom), never moved by the GC, so native I/O can use raw pointers.
/// Pages are only backed when first written, and the free list is LIFO, so the resident size follows
/// the number of buffers actually in flight rather than the configured count.
/// Buffers are identified by index; metadata lives in <see cref="Meta"/>.
/// Allocation is lock-free per worker (<see cref="BufferCache"/>); the shared stack is locked.
/// <para>Debug builds track every buffer's ownership: freeing a buffer that is not allocated (a double
/// free) throws naming it, and <see cref="Outstanding"/> lists the buffers not returned (leaks). Release
/// builds compile the tracking out; <c>Dataplane.BuffersInUse</c> is the always-available leak check.</para>
/// </summary>
public sealed unsafe class BufferPool : IDisposable
{
    /// <summary>Bytes reserved in front of the packet for headers we prepend (vnet header, encapsulations, ICMP errors).</summary>
    public const int Headroom = 256;

    /// <summary>Largest packet (plus virtio header) a buffer holds.</summary>
    public const int DataSize = 65536 + 128;

    /// <summary>Bytes per buffer (headroom + data, page aligned).</summary>
    public const int BufferSize = (Headroom + DataSize + 4095) & ~4095;

    private readonly byte* _base;
    private readonly nuint _mappedBytes;
    private readonly BufferMeta[] _meta;
    private readonly int[] _free;
    private int _freeCount;
    private readonly Lock _lock = new();
    private int _disposed;
#if DEBUG
    // 1 while a buffer is handed out. Written by the one thread that owns the buffer at that moment.
    private readonly byte[] _allocated;
#endif

    /// <summary>Creates an arena of <paramref name="count"/> buffers.</summary>
    public BufferPool(int count)
    {
        if (count < 64 || count > 1 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "buffer count must be between 64 and 1048576");
        }

        Count = count;
        _mappedBytes = (nuint)count * BufferSize;
        var p = Libc.Mmap(null, _mappedBytes, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (p == (void*)-1)
        {
            throw Libc.IoError($"mmap of {count} buffers ({_mappedBytes} bytes)");
        }

        _base = (byte*)p;
        _meta = new BufferMeta[count];
        _free = new int[count];
        // LIFO: index 0 is handed out first, so low buffers stay hot and resident.
        for (var i = 0; i < count; i++)
        {
            _free[i] = count - 1 - i;
        }

        _freeCount = count;
#if DEBUG
        _allocated = new byte[count];
#endif
    }

    /// <summary>Total number of buffers.</summary>
    public int Count { get; }

    /// <summary>Buffers currently on the shared free stack (per-worker caches not included).</summary>
    public int FreeCount => Volatile.Read(ref _freeCount);

    /// <summary>Metadata of buffer <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref BufferMeta Meta(int index) => ref _meta[index];

    /// <summary>Start of buffer <paramref name="index"/>'s memory (headroom included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Start(int index) => _base + ((nint)index * BufferSize);

    /// <summary>Pointer to the current data of a buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Data(int index) => _base + ((nint)index * BufferSize) + _meta[index].CurrentData;

    /// <summary>The current data of a buffer as a span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Span(int index)
    {
        ref var m = ref _meta[index];
        return new Span<byte>(_base + ((nint)index * BufferSize) + m.CurrentData, m.CurrentLength);
    }

    /// <summary>Bytes of a buffer from an absolute offset to the end of its current data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> SpanFrom(int index, int offset)
    {
        ref var m = ref _meta[index];
        var end = m.CurrentData + m.CurrentLength;
        return new Span<byte>(_base + ((nint)index * BufferSize) + offset, Math.Max(0, end - offset));
    }

    /// <summary>Resets the metadata of a freshly allocated buffer: data starts after the headroom, empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset(int index)
    {
        ref var m = ref _meta[index];
        m = default;
        m.CurrentData = Headroom;
        m.TxSwIfIndex = -1;
        m.AdjIndex = -1;
        m.TraceIndex = -1;
    }

    /// <summary>Debug builds: records that <paramref name="index"/> was handed out; throws if it already was (corrupt free stack).</summary>
    [Conditional("DEBUG")]
    internal void TrackAlloc(int index)
    {
#if DEBUG
        if (_allocated[index] != 0)
        {
            throw new InvalidOperationException($"buffer {index} handed out while already allocated (free stack corrupted)");
        }

        _allocated[index] = 1;
#endif
    }

    /// <summary>Debug builds: records that <paramref name="index"/> was freed; throws on a double free.</summary>
    [Conditional("DEBUG")]
    internal void TrackFree(int index)
    {
#if DEBUG
        if ((uint)index >= (uint)_allocated.Length || _allocated[index] == 0)
        {
            throw new InvalidOperationException($"buffer {index} freed twice (or never allocated)");
        }

        _allocated[index] = 0;
#endif
    }

    /// <summary>
    /// Debug builds: the buffers currently allocated (in flight, queued, or leaked), in index order.
    /// Release builds: always empty (tracking is compiled out).
    /// </summary>
    public IReadOnlyList<int> Outstanding()
    {
        var list = new List<int>();
#if DEBUG
        for (var i = 0; i < _allocated.Length; i++)
        {
            if (Volatile.Read(ref _allocated[i]) != 0)
            {
                list.Add(i);
            }
        }
#endif
        return list;
    }

    /// <summary>Sets <paramref name="marks"/>[b] for every buffer on the shared free stack (cold path: node failure recovery).</summary>
    internal void MarkFree(bool[] marks)
    {
        lock (_lock)
        {
            for (var i = 0; i < _freeCount; i++)
            {
                marks[_free[i]] = true;
            }
        }
    }

    /// <summary>Takes up to <paramref name="want"/> buffers from the shared stack into <paramref name="into"/>; returns how many.</summary>
    internal int TakeBatch(Span<int> into, int want)
    {
        lock (_lock)
        {
            var n = Math.Min(want, _freeCount);
            _free.AsSpan(_freeCount - n, n).CopyTo(into);
            _freeCount -= n;
            return n;
        }
    }

    /// <summary>Returns buffers to the shared stack.</summary>
    internal void ReturnBatch(ReadOnlySpan<int> buffers)
    {
        lock (_lock)
        {
            buffers.CopyTo(_free.AsSpan(_freeCount));
            _freeCount += buffers.Length;
        }
    }

    /// <summary>Allocates one buffer from the shared stack (control thread, cold paths); -1 when exhausted.</summary>
    public int AllocShared()
    {
        lock (_lock)
        {
            if (_freeCount == 0)
            {
                return -1;
            }

            var b = _free[--_freeCount];
            TrackAlloc(b);
            Reset(b);
            return b;
        }
    }

    /// <summary>Frees one buffer to the shared stack (control thread, cold paths).</summary>
    public void FreeShared(int index)
    {
        TrackFree(index);
        lock (_lock)
        {
            _free[_freeCount++] = index;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = Libc.Munmap(_base, _mappedBytes);
        }
    }
}

/// <summary>
/// A worker's private stack of free buffers in front of the shared <see cref="BufferPool"/>:
/// alloc/free are array pushes/pops; the shared lock is taken once per 128 buffers.
/// Owned by one thread.
/// </summary>
public sealed class BufferCache
{
    private const int Capacity = 512;
    private const int Batch = 128;
    private readonly BufferPool _pool;
    private readonly int[] _stack = new int[Capacity];
    private int _count;

    /// <summary>Creates a cache over <paramref name="pool"/>.</summary>
    public BufferCache(BufferPool pool) => _pool = pool;

    /// <summary>Buffers held by this cache.</summary>
    public int Cached => _count;

    /// <summary>Allocates and resets a buffer; -1 when the arena is exhausted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Alloc()
    {
        if (_count == 0)
        {
            _count = _pool.TakeBatch(_stack, Batch);
            if (_count == 0)
            {
                return -1;
            }
        }

        var b = _stack[--_count];
        _pool.TrackAlloc(b);
        _pool.Reset(b);
        return b;
    }

    /// <summary>Frees a buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(int buffer)
    {
        _pool.TrackFree(buffer);
        if (_count == Capacity)
        {
            _pool.ReturnBatch(_stack.AsSpan(Capacity - Batch, Batch));
            _count -= Batch;
        }

        _stack[_count++] = buffer;
    }

    /// <summary>Sets <paramref name="marks"/>[b] for every buffer in this cache (owner thread; cold path).</summary>
    internal void MarkCached(bool[] marks)
    {
        for (var i = 0; i < _count; i++)
        {
            marks[_stack[i]] = true;
        }
    }

    /// <summary>Returns every cached buffer to the shared pool.</summary>
    public void Flush()
    {
        _pool.ReturnBatch(_stack.AsSpan(0, _count));
        _count = 0;
    }
}
