using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>
/// Netlink access to this node's host namespace (kept open) and to pod namespaces (opened per use:
/// a pod's namespace can vanish at any time, and a new pod may reuse its path).
/// </summary>
public sealed class LinuxNamespaces : IDisposable
{
    private readonly object _gate = new();
    private readonly string? _hostNetns;
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

        using var ns = NetworkNamespace.Open(netns);
        using var nl = RtNetlink.Open(ns);
        return action(nl);
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
}
