using System.Diagnostics;
using Contiv.Vpp.Interfaces;
using Contiv.Linux.Interop;

namespace Contiv.Vpp.Graph;

/// <summary>
/// A data-plane worker thread: waits in epoll on the receive fds of the devices assigned to it (so an
/// idle data plane sleeps), polls the ready ones, runs the graph, repeats. In poll mode it never
/// sleeps. The control thread stops it between iterations through <see cref="Gate"/> (the barrier).
/// <para>A node that throws costs its vector only (<see cref="WorkerContext"/> contains it); a device
/// whose poll throws is counted and logged the same way and polled again next time.</para>
/// <para>Failure: if <c>epoll_wait</c> fails (anything but EINTR), the loop ends, the
/// worker's gate is released and <see cref="Dataplane.WorkerFailed"/> is raised from the worker thread;
/// nothing escapes the thread (an unhandled exception there would kill the process without cleanup).
/// The worker does not try to recover: its epoll set or graph state is suspect, and the daemon stops
/// the process with a non-zero exit instead (docs/dataplane.md).</para>
/// </summary>
internal sealed unsafe class Worker : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int PollBudget = NodeFrame.FrameSize;


    private readonly Dataplane _dp;
    private readonly int _epfd;
    // The fd epoll_wait uses: _epfd, or -1 after InjectEpollFailure (tests).
    private int _waitFd;
    private int _disposed;
    private readonly int _eventfd;
    private readonly bool _pollMode;
    private Thread? _thread;
    private volatile bool _stop;

    private readonly long _spinMicroseconds;
    private readonly bool _spinYield;

    public Worker(Dataplane dp, WorkerContext ctx, bool pollMode, int spinMicroseconds)
    {
        _spinMicroseconds = spinMicroseconds;
        _spinYield = dp.Options.SpinYield;
        _dp = dp;
        Context = ctx;
        _pollMode = pollMode;
        _epfd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw Libc.IoError("epoll_create1");
        }

        _eventfd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_eventfd < 0)
        {
            throw Libc.IoError("eventfd");
        }

        _waitFd = _epfd;
        if (dp.Options.BatchTx)
        {
            TxBatchingUnavailable = ctx.EnableTxBatching();
        }

        var ev = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = WakeToken };
        if (Libc.EpollCtl(_epfd, Libc.EPOLL_CTL_ADD, _eventfd, &ev) != 0)
        {
            throw Libc.IoError("epoll_ctl add eventfd");
        }
    }

    public WorkerContext Context { get; }

    /// <summary>Held by the worker while it processes; the barrier holds it to keep the worker out.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Why writes are not batched on io_uring (the kernel refused it), or null.</summary>
    public string? TxBatchingUnavailable { get; }

    /// <summary>Number of devices this worker polls.</summary>
    public int DeviceCount { get; private set; }

    /// <summary>Total time this worker spent in epoll_wait vs. working, for show runtime.</summary>
    public long Loops { get; private set; }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = Context.Name };
        _thread.Start();
    }

    public void AddDevice(SwInterface intf, int fd)
    {
        var ev = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = (ulong)intf.SwIfIndex };
        if (Libc.EpollCtl(_epfd, Libc.EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            throw Libc.IoError($"epoll_ctl add {intf.DevName} fd {fd}");
        }

        DeviceCount++;
    }

    public void RemoveDevice(int fd)
    {
        var ev = default(Libc.EpollEvent);
        _ = Libc.EpollCtl(_epfd, Libc.EPOLL_CTL_DEL, fd, &ev);
        DeviceCount--;
    }

    /// <summary>Wakes the worker from epoll_wait.</summary>
    public void Wake()
    {
        ulong one = 1;
        _ = Libc.Write(_eventfd, &one, 8);
    }

    /// <summary>The exception that ended this worker, or null while it runs.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Tests: makes the next epoll_wait fail (EBADF) as a broken epoll set would.</summary>
    internal void InjectEpollFailure()
    {
        Volatile.Write(ref _waitFd, -1);
        Wake();
    }

    private void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception e)
        {
            Failure = e;
            _dp.OnWorkerFailed(this, e);
        }
    }

    private void Loop()
    {
        var events = stackalloc Libc.EpollEvent[64];
        var ctx = Context;
        var lastWork = 0L;
        var spinTicks = Stopwatch.Frequency * _spinMicroseconds / 1_000_000;
        while (!_stop)
        {
            // Interrupt mode with a short adaptive poll: right after traffic, keep polling (non-blocking)
            // for a few tens of microseconds so back-to-back packets do not pay a sleep/wake-up each.
            // Writes the kernel parked (rare) complete later: keep polling until they are reaped.
            var timeout = _pollMode || ctx.TxOutstanding > 0 || Stopwatch.GetTimestamp() - lastWork < spinTicks ? 0 : -1;
            var n = Libc.EpollWait(Volatile.Read(ref _waitFd), events, 64, timeout);
            if (n < 0)
            {
                if (Libc.LastErrno == Errno.EINTR)
                {
                    continue;
                }

                throw Libc.IoError($"{Context.Name}: epoll_wait");
            }

            Gate.Enter();
            try
            {
                Loops++;
                var ifs = _dp.InterfaceArray;
                for (var i = 0; i < n; i++)
                {
                    var token = events[i].Data;
                    if (token == WakeToken)
                    {
                        ulong v;
                        _ = Libc.Read(_eventfd, &v, 8);
                        continue;
                    }

                    var sw = (int)token;
                    if ((uint)sw < (uint)ifs.Length && ifs[sw]?.Device is { } dev)
                    {
                        try
                        {
                            if (dev.Poll(ctx, PollBudget) > 0)
                            {
                                lastWork = Stopwatch.GetTimestamp();
                            }
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            ctx.ContainInputFailure(dev.InputNodeName, sw, e);
                        }

                        ctx.Dispatch();
                    }
                }

                // One system call for every packet written during this pass (all devices' vectors).
                ctx.FlushTx();
            }
            finally
            {
                Gate.Exit();
            }

            // An empty poll while spinning: give the CPU to whatever else is runnable on it (on a
            // small node, the pods' own threads) instead of burning the rest of the time slice.
            if (n == 0 && timeout == 0 && _spinYield && !_pollMode)
            {
                Thread.Yield();
            }

            // Let a waiting control thread in before re-entering.
            var spin = default(SpinWait);
            while (_dp.BarrierRequested)
            {
                spin.SpinOnce(sleep1Threshold: 20);
            }
        }
    }

    /// <summary>Stops and joins the thread and closes the fds; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop = true;
        Wake();
        // The ring's memory is unmapped on dispose: only once the thread has really stopped using it.
        if (_thread is null || _thread.Join(TimeSpan.FromSeconds(5)))
        {
            Context.DisposeTx();
        }
        _ = Libc.Close(_eventfd);
        _ = Libc.Close(_epfd);
    }
}
