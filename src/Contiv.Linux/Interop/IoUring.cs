using System.Runtime.InteropServices;

namespace Contiv.Linux.Interop;

/// <summary>
/// A minimal io_uring (Linux ≥ 5.6) for batching many reads/writes into one system call: the data
/// plane queues one write per packet of a vector and submits them all with one <c>io_uring_enter</c>
/// (<see cref="Submit"/>). Single-threaded: one instance belongs to one worker thread. No liburing;
/// the rings are mapped directly (IORING_FEAT_SINGLE_MMAP). Completions carry the caller's 64-bit
/// tag (<see cref="Completion.UserData"/>).
/// </summary>
internal sealed unsafe partial class IoUring : IDisposable
{
    private const int SysSetup = 425;
    private const int SysEnter = 426;
    private const uint EnterGetEvents = 1;
    private const uint FeatSingleMmap = 1;
    private const long OffSqRing = 0;
    private const long OffSqes = 0x10000000;
    private const byte OpRead = 22;
    private const byte OpWrite = 23;
    private const int SqeSize = 64;

    private readonly int _fd;
    private readonly byte* _ring;
    private readonly nuint _ringSize;
    private readonly byte* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint* _sqArray;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly byte* _cqes;
    private uint _localTail;
    private int _disposed;

    /// <summary>One completion: the tag given when queued and the result (bytes, or −errno).</summary>
    public readonly record struct Completion(ulong UserData, int Result);

    private IoUring(int fd, byte* ring, nuint ringSize, byte* sqes, nuint sqesSize, byte* p)
    {
        _fd = fd;
        _ring = ring;
        _ringSize = ringSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        // struct io_uring_params: sq_off at 40 (head, tail, ring_mask, ring_entries, flags, dropped, array),
        // cq_off at 80 (head, tail, ring_mask, ring_entries, overflow, cqes).
        var sq = (uint*)(p + 40);
        var cq = (uint*)(p + 80);
        _sqHead = (uint*)(ring + sq[0]);
        _sqTail = (uint*)(ring + sq[1]);
        _sqMask = *(uint*)(ring + sq[2]);
        Entries = (int)*(uint*)(ring + sq[3]);
        _sqArray = (uint*)(ring + sq[6]);
        _cqHead = (uint*)(ring + cq[0]);
        _cqTail = (uint*)(ring + cq[1]);
        _cqMask = *(uint*)(ring + cq[2]);
        _cqes = ring + cq[5];
        _localTail = *_sqTail;
        // Identity mapping: SQE slot i is always array entry i.
        for (uint i = 0; i <= _sqMask; i++)
        {
            _sqArray[i] = i;
        }
    }

    /// <summary>Submission queue size.</summary>
    public int Entries { get; }

    /// <summary>Entries queued and not yet submitted.</summary>
    public int Pending => (int)(_localTail - Volatile.Read(ref *_sqHead));

    /// <summary>Operations submitted whose completion was not yet taken by <see cref="TryComplete"/>.</summary>
    public int InFlight { get; private set; }

    /// <summary>
    /// Creates a ring with <paramref name="entries"/> submission slots (a power of two; the completion
    /// queue is twice as large). Throws <see cref="IOException"/> naming the errno when the kernel has
    /// no io_uring (or it is disabled by <c>kernel.io_uring_disabled</c>).
    /// </summary>
    public static IoUring Create(int entries)
    {
        if (entries <= 0 || (entries & (entries - 1)) != 0 || entries > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(entries), entries, "io_uring entries: a power of two up to 4096");
        }

        var p = stackalloc byte[120];
        new Span<byte>(p, 120).Clear();
        var fd = (int)Syscall(SysSetup, entries, (nint)p, 0, 0, 0, 0);
        if (fd < 0)
        {
            throw Libc.IoError("io_uring_setup");
        }

        var features = *(uint*)(p + 20);
        if ((features & FeatSingleMmap) == 0)
        {
            _ = Libc.Close(fd);
            throw new IOException("io_uring_setup: kernel lacks IORING_FEAT_SINGLE_MMAP (needs Linux ≥ 5.4)");
        }

        var sqEntries = *(uint*)p;
        var cqEntries = *(uint*)(p + 4);
        var sqArrayOff = *(uint*)(p + 40 + 24);
        var cqesOff = *(uint*)(p + 80 + 20);
        var ringSize = (nuint)Math.Max(sqArrayOff + (sqEntries * 4), cqesOff + (cqEntries * 16));
        var ring = (byte*)Libc.Mmap(null, ringSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | MapPopulate, fd, (nint)OffSqRing);
        if (ring == (byte*)-1)
        {
            var e = Libc.IoError("mmap io_uring rings");
            _ = Libc.Close(fd);
            throw e;
        }

        var sqesSize = (nuint)(sqEntries * SqeSize);
        var sqes = (byte*)Libc.Mmap(null, sqesSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | MapPopulate, fd, (nint)OffSqes);
        if (sqes == (byte*)-1)
        {
            var e = Libc.IoError("mmap io_uring sqes");
            _ = Libc.Munmap(ring, ringSize);
            _ = Libc.Close(fd);
            throw e;
        }

        return new IoUring(fd, ring, ringSize, sqes, sqesSize, p);
    }

    private const int MapPopulate = 0x8000;

    /// <summary>Queues a write of <paramref name="length"/> bytes at <paramref name="data"/> to <paramref name="fd"/>; false when the queue is full (submit first).</summary>
    public bool QueueWrite(int fd, void* data, uint length, ulong userData) => Queue(OpWrite, fd, data, length, userData);

    /// <summary>Queues a read of up to <paramref name="length"/> bytes into <paramref name="data"/> from <paramref name="fd"/>; false when the queue is full.</summary>
    public bool QueueRead(int fd, void* data, uint length, ulong userData) => Queue(OpRead, fd, data, length, userData);

    /// <summary>
    /// Queues a read that never waits (RWF_NOWAIT): it completes with −EAGAIN when nothing is there,
    /// instead of io_uring parking it until data arrives (which it does for a tun fd even when the fd
    /// is O_NONBLOCK); −EOPNOTSUPP when the file cannot do non-waiting reads.
    /// </summary>
    public bool QueueReadNoWait(int fd, void* data, uint length, ulong userData) => Queue(OpRead, fd, data, length, userData, RwfNoWait);

    private const uint RwfNoWait = 0x08;

    private bool Queue(byte op, int fd, void* data, uint length, ulong userData, uint rwFlags = 0)
    {
        if (_localTail - Volatile.Read(ref *_sqHead) > _sqMask)
        {
            return false;
        }

        var sqe = _sqes + ((_localTail & _sqMask) * SqeSize);
        var q = (ulong*)sqe;
        q[0] = 0; q[1] = 0; q[2] = 0; q[3] = 0; q[4] = 0; q[5] = 0; q[6] = 0; q[7] = 0;
        sqe[0] = op;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 8) = ulong.MaxValue; // offset −1: the file's current position (a stream)
        *(ulong*)(sqe + 16) = (ulong)data;
        *(uint*)(sqe + 24) = length;
        *(uint*)(sqe + 28) = rwFlags;
        *(ulong*)(sqe + 32) = userData;
        _localTail++;
        return true;
    }

    /// <summary>
    /// Hands every queued entry to the kernel in one system call; with <paramref name="waitFor"/> &gt; 0
    /// it also waits until that many completions are available. Returns the number submitted, or −errno
    /// (EINTR, EAGAIN and EBUSY are left to the caller to retry).
    /// </summary>
    public int Submit(int waitFor = 0)
    {
        var n = (uint)Pending;
        Volatile.Write(ref *_sqTail, _localTail);
        if (n == 0 && waitFor == 0)
        {
            return 0;
        }

        var r = (int)Syscall(SysEnter, _fd, (nint)n, waitFor, waitFor > 0 ? (nint)EnterGetEvents : 0, 0, 0);
        if (r < 0)
        {
            return -Libc.LastErrno;
        }

        InFlight += r;
        return r;
    }

    /// <summary>Takes the next completion, if one is there.</summary>
    public bool TryComplete(out Completion completion)
    {
        var head = *_cqHead;
        if (head == Volatile.Read(ref *_cqTail))
        {
            completion = default;
            return false;
        }

        var cqe = _cqes + ((head & _cqMask) * 16);
        completion = new Completion(*(ulong*)cqe, *(int*)(cqe + 8));
        Volatile.Write(ref *_cqHead, head + 1);
        InFlight--;
        return true;
    }

    /// <summary>The ring's fd (pollable: readable when completions are waiting).</summary>
    public int Fd => _fd;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallImpl(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    private static long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6) => SyscallImpl(number, a1, a2, a3, a4, a5, a6);

    /// <summary>Unmaps the rings and closes the fd (operations still in flight complete in the kernel and are discarded).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = Libc.Munmap(_sqes, _sqesSize);
        _ = Libc.Munmap(_ring, _ringSize);
        _ = Libc.Close(_fd);
    }
}
