using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Contiv.Agent.Dataplane;

namespace Contiv.Agent.Tests.Dataplane;

/// <summary>
/// The agent's end of the data plane's liveness socket against a real unix socket served by the test: the instance
/// line, the end of the connection, an unanswered ping, and stopping.
/// </summary>
public sealed class LivenessConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("liveness-test.").FullName;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public LivenessConnectionTests()
    {
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(4);
    }

    private string Path => System.IO.Path.Combine(_dir, "api.sock.live");

    public void Dispose()
    {
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task No_socket_or_no_instance_line_gives_no_connection()
    {
        Assert.Null(await LivenessConnection.TryOpenAsync(System.IO.Path.Combine(_dir, "missing.live"), TimeSpan.FromSeconds(1), CancellationToken.None));

        // A server that accepts but says nothing (a hung data plane) is given up after the timeout.
        var sw = Stopwatch.StartNew();
        var silent = AcceptAsync(hello: null);
        Assert.Null(await LivenessConnection.TryOpenAsync(Path, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        (await silent).Dispose();

        // An empty identity, or bytes after the line before any ping, break the protocol.
        var empty = AcceptAsync("\n");
        Assert.Null(await LivenessConnection.TryOpenAsync(Path, TimeSpan.FromSeconds(2), CancellationToken.None));
        (await empty).Dispose();
        var extra = AcceptAsync("id-1\nx");
        Assert.Null(await LivenessConnection.TryOpenAsync(Path, TimeSpan.FromSeconds(2), CancellationToken.None));
        (await extra).Dispose();
    }

    [Fact]
    public async Task The_instance_is_read_and_the_end_of_the_connection_ends_the_watch()
    {
        var server = AcceptAsync("0123abcd@2026-12-08T01:00:00.000Z\n");
        using var live = await LivenessConnection.TryOpenAsync(Path, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.NotNull(live);
        Assert.Equal("0123abcd@2026-12-08T01:00:00.000Z", live.Instance);
        using var peer = await server;

        var watch = live.WatchAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), TimeProvider.System, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(watch.IsCompleted, "the watch ended while the data plane was alive");

        var sw = Stopwatch.StartNew();
        peer.Close(); // the process exited: the kernel closes its end
        Assert.True(await watch.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"the end was noticed after {sw.Elapsed}");
    }

    [Fact]
    public async Task Pings_are_answered_while_the_peer_echoes_and_a_missing_echo_ends_the_watch()
    {
        using var connected = await ConnectAsync("id-2");
        var (live, peer) = (connected.Live, connected.Peer);

        // The peer echoes three pings, then stops answering (alive but hung).
        var echoed = 0;
        var echo = Task.Run(async () =>
        {
            var b = new byte[16];
            while (echoed < 3)
            {
                var n = await peer.ReceiveAsync(b, SocketFlags.None);
                Assert.True(n > 0);
                await peer.SendAsync(b.AsMemory(0, n), SocketFlags.None);
                echoed++;
            }
        });

        var sw = Stopwatch.StartNew();
        Assert.True(await live.WatchAsync(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(300), TimeProvider.System, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10)));
        await echo;
        Assert.Equal(3, echoed);
        // Three answered pings (≥ 3 × 200 ms), then the fourth unanswered (200 + 300 ms).
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(1000), $"the watch ended after {sw.Elapsed}");
        var pending = new byte[16];
        Assert.Equal(1, peer.Receive(pending)); // the unanswered fourth ping reached the peer
    }

    [Fact]
    public async Task Stopping_ends_the_watch_without_calling_it_an_end()
    {
        using var connected = await ConnectAsync("id-3");
        var (live, peer) = (connected.Live, connected.Peer);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.False(await live.WatchAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), TimeProvider.System, stop.Token).WaitAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>The agent's end, opened against a peer that sent <paramref name="instance"/>, and the peer's end.</summary>
    private async Task<Connected> ConnectAsync(string instance)
    {
        var server = AcceptAsync(instance + "\n");
        var live = await LivenessConnection.TryOpenAsync(Path, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.NotNull(live);
        return new Connected(live, await server);
    }

    private async Task<Socket> AcceptAsync(string? hello)
    {
        var s = await _listener.AcceptAsync();
        if (hello is not null)
        {
            await s.SendAsync(Encoding.UTF8.GetBytes(hello), SocketFlags.None);
        }

        return s;
    }

    private sealed record Connected(LivenessConnection Live, Socket Peer) : IDisposable
    {
        public void Dispose()
        {
            Live.Dispose();
            Peer.Dispose();
        }
    }
}
