using System.Buffers.Binary;
using System.Threading.Channels;
using Contiv.Linux.Interop;
using Contiv.Linux.Netlink;

namespace Contiv.Linux;

/// <summary>
/// Subscribes to link notifications (RTNLGRP_LINK) of one namespace and turns them into
/// <see cref="LinkEvent"/>s: added, deleted, up, down, changed. A dedicated reader thread receives
/// the notifications; consumers read <see cref="ReadAllAsync"/> (or <see cref="Events"/>).
/// The watcher keeps the last state of every link, so "up"/"down" are real transitions and, when the
/// kernel drops notifications (ENOBUFS), a fresh dump is compared with it and the differences are
/// reported — no transition is silently lost. Dispose stops the thread and completes the stream.
/// </summary>
public sealed class LinkWatcher : IDisposable
{
    private const int EventBufferBytes = 4 * 1024 * 1024;
    private readonly NetlinkSocket _socket;
    private readonly RtNetlink _query;
    private readonly Channel<LinkEvent> _channel = Channel.CreateUnbounded<LinkEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private readonly Dictionary<int, Link> _known = [];
    private readonly int _wakeFd;
    private readonly Thread _reader;
    private int _disposed;

    private LinkWatcher(NetlinkSocket socket, RtNetlink query, string? namespaceName)
    {
        _socket = socket;
        _query = query;
        NamespaceName = namespaceName;
        _wakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC);
        if (_wakeFd < 0)
        {
            throw new NetlinkException("link watch (eventfd)", "RTNLGRP_LINK", namespaceName, Libc.LastErrno);
        }

        // Subscribe first, then take the initial snapshot: a change racing the dump is then seen
        // as a notification and compared against the snapshot, never lost.
        foreach (var link in _query.GetLinks())
        {
            _known[link.Index] = link;
        }

        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"link watch {namespaceName ?? "self"}" };
        _reader.Start();
    }

    /// <summary>Display name of the watched namespace (null: the creator's own).</summary>
    public string? NamespaceName { get; }

    /// <summary>The event stream as a channel reader.</summary>
    public ChannelReader<LinkEvent> Events => _channel.Reader;

    /// <summary>Links known when the watch started, by index (a snapshot taken after subscribing).</summary>
    public IReadOnlyList<Link> InitialLinks { get; private set; } = [];

    /// <summary>Starts watching <paramref name="ns"/> (null: the calling thread's namespace).</summary>
    public static LinkWatcher Start(NetworkNamespace? ns = null)
    {
        var socket = ns is null
            ? NetlinkSocket.Create(Nl.RTMGRP_LINK, EventBufferBytes)
            : ns.Run(() => NetlinkSocket.Create(Nl.RTMGRP_LINK, EventBufferBytes));
        RtNetlink? query = null;
        try
        {
            query = ns is null ? RtNetlink.Open() : RtNetlink.Open(ns);
            var watcher = new LinkWatcher(socket, query, ns?.DisplayName);
            watcher.InitialLinks = [.. watcher._known.Values.OrderBy(l => l.Index)];
            return watcher;
        }
        catch
        {
            socket.Dispose();
            query?.Dispose();
            throw;
        }
    }

    /// <summary>Events as an async stream, until the watcher is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public IAsyncEnumerable<LinkEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Stops the reader thread, closes the sockets and completes the stream.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Wake();
        _reader.Join();
        _ = Libc.Close(_wakeFd);
        _socket.Dispose();
        _query.Dispose();
    }

    private unsafe void Wake()
    {
        ulong one = 1;
        _ = Libc.Write(_wakeFd, &one, 8);
    }

    private unsafe void ReadLoop()
    {
        try
        {
            var fds = stackalloc Libc.PollFd[2];
            while (Volatile.Read(ref _disposed) == 0)
            {
                fds[0] = new Libc.PollFd { Fd = _socket.Fd, Events = Libc.POLLIN };
                fds[1] = new Libc.PollFd { Fd = _wakeFd, Events = Libc.POLLIN };
                if (Libc.Poll(fds, 2, -1) < 0)
                {
                    var errno = Libc.LastErrno;
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw new NetlinkException("link watch (poll)", "RTNLGRP_LINK", NamespaceName, errno);
                }

                if (fds[1].Revents != 0)
                {
                    break;
                }

                DrainSocket();
            }

            _channel.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _channel.Writer.TryComplete(e);
        }
    }

    private void DrainSocket()
    {
        while (true)
        {
            int n;
            try
            {
                n = _socket.Receive(blocking: false);
            }
            catch (NetlinkException e) when (e.Errno == Errno.ENOBUFS)
            {
                Resync();
                continue;
            }

            if (n < 0)
            {
                return;
            }

            var data = _socket.Received(n);
            while (data.Length >= 16)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
                if (length < 16 || length > data.Length)
                {
                    break;
                }

                var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
                var payload = data[16..length];
                data = data[Math.Min(NetlinkWriter.Align(length), data.Length)..];
                if (type is Nl.RTM_NEWLINK or Nl.RTM_DELLINK && payload.Length >= 16)
                {
                    var link = RtNetlink.ParseLink(payload);
                    if (type == Nl.RTM_DELLINK)
                    {
                        Removed(link.Index, link);
                    }
                    else
                    {
                        Observed(link);
                    }
                }
            }
        }
    }

    private void Observed(Link link)
    {
        if (!_known.TryGetValue(link.Index, out var before))
        {
            _known[link.Index] = link;
            Publish(LinkEventKind.Added, link);
            if (IsRunning(link))
            {
                Publish(LinkEventKind.Up, link);
            }

            return;
        }

        _known[link.Index] = link;
        var wasRunning = IsRunning(before);
        var running = IsRunning(link);
        if (running != wasRunning)
        {
            Publish(running ? LinkEventKind.Up : LinkEventKind.Down, link);
        }
        else if (before with { Statistics = null } != link with { Statistics = null })
        {
            Publish(LinkEventKind.Changed, link);
        }
    }

    private void Removed(int index, Link? reported)
    {
        if (_known.Remove(index, out var last))
        {
            Publish(LinkEventKind.Deleted, reported ?? last);
        }
    }

    private void Resync()
    {
        var now = _query.GetLinks();
        var present = new HashSet<int>();
        foreach (var link in now)
        {
            present.Add(link.Index);
            Observed(link);
        }

        foreach (var index in _known.Keys.Where(i => !present.Contains(i)).ToList())
        {
            Removed(index, null);
        }
    }

    private void Publish(LinkEventKind kind, Link link) => _channel.Writer.TryWrite(new LinkEvent(kind, link));

    private static bool IsRunning(Link link) => link.IsUp && link.HasCarrier;
}
