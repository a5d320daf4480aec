namespace Contiv.Linux;

/// <summary>
/// Per-namespace network sysctls (<c>/proc/sys/net/…</c>). /proc/sys/net shows the namespace of
/// the thread that opens the file, so every access happens on a thread inside the namespace.
/// Keys are given as in <c>sysctl</c> (<c>net.ipv4.conf.eth0.rp_filter</c>) or as a path below
/// /proc/sys (<c>net/ipv6/conf/eth0.100/disable_ipv6</c>; use this form for names with dots).
/// </summary>
public static class NetworkSysctl
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="key"/> inside <paramref name="ns"/> (null: the calling thread's namespace).</summary>
    /// <exception cref="NetlinkException">The key does not exist (<see cref="NetlinkException.IsNotFound"/>) or the write was refused.</exception>
    public static void Write(NetworkNamespace? ns, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var path = PathOf(key);
        Action write = () => Access("sysctl write " + value, key, ns, () => File.WriteAllText(path, value));
        if (ns is null)
        {
            write();
        }
        else
        {
            ns.Run(write);
        }
    }

    /// <summary>Reads <paramref name="key"/> inside <paramref name="ns"/> (null: the calling thread's namespace), trimmed.</summary>
    public static string Read(NetworkNamespace? ns, string key)
    {
        var path = PathOf(key);
        string read() => Access("sysctl read", key, ns, () => File.ReadAllText(path).Trim());
        return ns is null ? read() : ns.Run(read);
    }

    /// <summary>Writes a sysctl from a <see cref="NamespaceThread"/> (batched with its other work).</summary>
    public static void Write(NamespaceThread thread, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(value);
        var path = PathOf(key);
        thread.Run(() => Access("sysctl write " + value, key, thread.Namespace, () => File.WriteAllText(path, value)));
    }

    private static void Access(string operation, string key, NetworkNamespace? ns, Action action)
        => Access<object?>(operation, key, ns, () =>
        {
            action();
            return null;
        });

    private static T Access<T>(string operation, string key, NetworkNamespace? ns, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NetlinkException(operation, key, ns?.DisplayName, Interop.Errno.ENOENT);
        }
        catch (UnauthorizedAccessException)
        {
            throw new NetlinkException(operation, key, ns?.DisplayName, Interop.Errno.EACCES);
        }
        catch (IOException e) when (e is not NetlinkException)
        {
            // The kernel's EINVAL on a bad value surfaces as an IOException whose HResult is the errno.
            var errno = e.HResult is > 0 and < 4096 ? e.HResult : Interop.Errno.EINVAL;
            throw new NetlinkException(operation, key, ns?.DisplayName, errno);
        }
    }

    private static string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var relative = key.Contains('/', StringComparison.Ordinal) ? key.TrimStart('/') : key.Replace('.', '/');
        if (relative.StartsWith("proc/sys/", StringComparison.Ordinal))
        {
            relative = relative["proc/sys/".Length..];
        }

        if (!relative.StartsWith("net/", StringComparison.Ordinal) || relative.Split('/').Any(p => p is "" or "." or ".."))
        {
            throw new ArgumentException($"sysctl key '{key}' is not a network sysctl (net.…)", nameof(key));
        }

        return "/proc/sys/" + relative;
    }
}
