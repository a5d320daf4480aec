using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>
/// Netlink access to this node's host namespace (kept open) and to pod namespaces (opened per use:
/// a pod's namespace can vanish at any time, and a new pod may reuse its path).
/// </summary>
internal sealed class LinuxNamespaces : IDisposable
{
    private readonly object _gate = new();
    private const int PodSocketCacheSize = 16;
    private const long IdleMs = 5000;
    private readonly string? _hostNetns;
    private readonly Dictionary<string, PodSocket> _pods = new(StringComparer.Ordinal);
    private NetworkNamespace? _hostNs;
    private RtNetlink? _host;

    /// <summary>Creates the accessor; <paramref name="hostNetns"/> null = the process's own namespace.</summary>
    public LinuxNamespaces(string? hostNetns) => _hostNetns = string.IsNullOrEmpty(hostNetns) ? null : hostNetns;

    /// <summary>Host namespace name/path as given, or null.</summary>
    public string? HostNetns => _hostNetns;

    /// <summary>Runs <paramref name="action"/> with a netlink socket in <paramref name="netns"/> ("" = host).</summary>
    /// <exception cref="NetlinkException">When the namespace does not exist (IsNotFound) or a request fails.</exception>
    public T With<T>(string netns, Func<RtNetlink, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (netns.Length == 0)
        {
            lock (_gate)
            {
                return action(Host());
            }
        }

        // Opening a netlink socket inside a namespace costs a thread start; a pod's items come in bursts
        // (address, neighbour, routes), so the last few sockets are kept — keyed by path and checked
        // against the namespace inode, because a new pod may reuse the path of a deleted one. Several
        // threads may use this at once (the event loop, and REST read-backs of the applied state): a
        // socket is used under its own lock, and closed (idle, evicted, replaced) only under that lock.
        using var ns = NetworkNamespace.Open(netns);
        var id = ns.Id;
        while (true)
        {
            PodSocket? socket = null;
            var toClose = new List<PodSocket>();
            lock (_gate)
            {
                // An open socket keeps its namespace alive: idle ones are closed soon.
                var now = Environment.TickCount64;
                foreach (var stale in _pods.Where(kv => now - Interlocked.Read(ref kv.Value.Used) > IdleMs && kv.Key != netns).ToList())
                {
                    _pods.Remove(stale.Key);
                    toClose.Add(stale.Value);
                }

                if (_pods.TryGetValue(netns, out var cached) && cached.Id == id)
                {
                    socket = cached;
                }
            }

            Close(toClose);
            if (socket is null)
            {
                toClose.Clear();
                var fresh = new PodSocket(id, RtNetlink.Open(ns));
                lock (_gate)
                {
                    if (_pods.TryGetValue(netns, out var cached) && cached.Id == id)
                    {
                        socket = cached; // another thread was faster
                        toClose.Add(fresh);
                    }
                    else
                    {
                        if (_pods.Remove(netns, out var old))
                        {
                            toClose.Add(old);
                        }

                        while (_pods.Count >= PodSocketCacheSize)
                        {
                            var oldest = _pods.MinBy(kv => Interlocked.Read(ref kv.Value.Used));
                            _pods.Remove(oldest.Key);
                            toClose.Add(oldest.Value);
                        }

                        _pods[netns] = fresh;
                        socket = fresh;
                    }
                }

                Close(toClose);
            }

            lock (socket)
            {
                if (socket.Closed)
                {
                    continue; // evicted between the lookup and now
                }

                try
                {
                    return action(socket.Socket);
                }
                finally
                {
                    Interlocked.Exchange(ref socket.Used, Environment.TickCount64);
                }
            }
        }
    }

    /// <summary>Forgets the cached socket of a pod namespace (its pod is gone).</summary>
    public void Forget(string netns)
    {
        PodSocket? old;
        lock (_gate)
        {
            _pods.Remove(netns, out old);
        }

        if (old is not null)
        {
            Close([old]);
        }
    }

    /// <summary>Runs an action with a netlink socket in <paramref name="netns"/>.</summary>
    public void With(string netns, Action<RtNetlink> action) => With<bool>(netns, nl =>
    {
        action(nl);
        return true;
    });

    /// <inheritdoc/>
    public void Dispose()
    {
        List<PodSocket> all;
        lock (_gate)
        {
            all = [.. _pods.Values];
            _pods.Clear();
        }

        Close(all);

        _host?.Dispose();
        _hostNs?.Dispose();
    }

    private RtNetlink Host()
    {
        if (_host is null)
        {
            if (_hostNetns is null)
            {
                // Opened on a throw-away thread so the socket is bound to the process's (root thread's) namespace.
                using var self = NetworkNamespace.OpenProcess(Environment.ProcessId);
                _host = RtNetlink.Open(self);
            }
            else
            {
                _hostNs = NetworkNamespace.Open(_hostNetns);
                _host = RtNetlink.Open(_hostNs);
            }
        }

        return _host;
    }

    private static void Close(List<PodSocket> sockets)
    {
        foreach (var s in sockets)
        {
            lock (s)
            {
                if (!s.Closed)
                {
                    s.Closed = true;
                    s.Socket.Dispose();
                }
            }
        }
    }

    /// <summary>A cached socket of a pod namespace; used and closed only under its own lock.</summary>
    private sealed class PodSocket(ulong id, RtNetlink socket)
    {
        public long Used = Environment.TickCount64;

        public ulong Id { get; } = id;

        public RtNetlink Socket { get; } = socket;

        public bool Closed { get; set; }
    }
}
