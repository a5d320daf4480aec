using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>
/// Netlink access to this node's host namespace (kept open) and to pod namespaces (opened per use:
/// a pod's namespace can vanish at any time, and a new pod may reuse its path).
/// </summary>
public sealed class LinuxNamespaces : IDisposable
{
    private readonly object _gate = new();
    private const int PodSocketCacheSize = 16;
    private const long IdleMs = 5000;
    private readonly string? _hostNetns;
    private readonly Dictionary<string, CachedSocket> _pods = new(StringComparer.Ordinal);
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
        // against the namespace inode, because a new pod may reuse the path of a deleted one.
        using var ns = NetworkNamespace.Open(netns);
        var id = ns.Id;
        RtNetlink? nl = null;
        lock (_gate)
        {
            // An open socket keeps its namespace alive: idle ones are closed soon.
            var now = Environment.TickCount64;
            foreach (var stale in _pods.Where(kv => now - kv.Value.Used > IdleMs && kv.Key != netns).ToList())
            {
                _pods.Remove(stale.Key);
                stale.Value.Socket.Dispose();
            }

            if (_pods.TryGetValue(netns, out var cached) && cached.Id == id)
            {
                nl = cached.Socket;
            }
        }

        if (nl is null)
        {
            nl = RtNetlink.Open(ns);
            lock (_gate)
            {
                if (_pods.Remove(netns, out var old))
                {
                    old.Socket.Dispose();
                }

                while (_pods.Count >= PodSocketCacheSize)
                {
                    var oldest = _pods.MinBy(kv => kv.Value.Used);
                    _pods.Remove(oldest.Key);
                    oldest.Value.Socket.Dispose();
                }

                _pods[netns] = new CachedSocket(id, nl, Environment.TickCount64);
            }
        }

        lock (nl)
        {
            try
            {
                return action(nl);
            }
            finally
            {
                lock (_gate)
                {
                    if (_pods.TryGetValue(netns, out var c) && c.Socket == nl)
                    {
                        _pods[netns] = c with { Used = Environment.TickCount64 };
                    }
                }
            }
        }
    }

    /// <summary>Forgets the cached socket of a pod namespace (its pod is gone).</summary>
    public void Forget(string netns)
    {
        lock (_gate)
        {
            if (_pods.Remove(netns, out var old))
            {
                old.Socket.Dispose();
            }
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
        lock (_gate)
        {
            foreach (var c in _pods.Values)
            {
                c.Socket.Dispose();
            }

            _pods.Clear();
        }

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

    private sealed record CachedSocket(ulong Id, RtNetlink Socket, long Used);
}
