namespace Contiv.Vpp.Tests;

/// <summary>A worker whose epoll_wait fails reports it and stops; nothing escapes its thread.</summary>
public sealed class WorkerFailureTests
{
    [Fact]
    public void Failed_epoll_wait_is_reported_and_the_dataplane_stops_running()
    {
        using var dp = new Dataplane(new DataplaneOptions { Buffers = 64, Workers = 2 });
        dp.Start();
        Assert.True(dp.Running);
        using var failed = new ManualResetEventSlim();
        string? worker = null;
        Exception? error = null;
        dp.WorkerFailed += (w, e) =>
        {
            worker = w;
            error = e;
            failed.Set();
        };

        dp.InjectEpollFailure(1);

        Assert.True(failed.Wait(TimeSpan.FromSeconds(10)), "WorkerFailed was not raised");
        Assert.Equal("vpp_wk_1", worker);
        Assert.Contains("epoll_wait", error!.Message, StringComparison.Ordinal);
        Assert.False(dp.Running);
        Assert.Same(error, dp.WorkerFailure);
        // The barrier still works with the dead worker (its gate was released), so control operations
        // and disposal do not hang.
        dp.AddTable(7);
        Assert.NotNull(dp.FindTable(7));
    }

    [Fact]
    public void Disposing_a_worker_twice_closes_its_fds_once()
    {
        using var dp = new Dataplane(new DataplaneOptions { Buffers = 64, Workers = 1 });
        var w = new Graph.Worker(dp, new Graph.WorkerContext(dp, 9, "vpp_wk_test"), pollMode: false, spinMicroseconds: 50);
        w.Start();
        w.Dispose();
        // Likely reuses one of the numbers the worker just closed: a second close would hit this fd.
        using var handle = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        w.Dispose();
        RandomAccess.Write(handle, "x"u8, 0); // IOException (EBADF) if the second Dispose closed it
        Assert.False(handle.IsInvalid);
    }
}
