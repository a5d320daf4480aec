using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Contiv.Linux.Interop;

namespace Contiv.Cni.Agent.Http2;

/// <summary>
/// A unix socket address that, unlike <see cref="UnixDomainSocketEndPoint"/>, does not make the runtime probe the
/// system's socket support (the probe opens a socket of its own: a measurable share of a CNI invocation).
/// </summary>
public sealed class UnixSocketPath(string path) : EndPoint
{
    /// <summary>The socket's file system path.</summary>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public override AddressFamily AddressFamily => AddressFamily.Unix;

    /// <inheritdoc/>
    public override string ToString() => Path;
}

/// <summary>A failed socket system call: <see cref="Errno"/> and the call's name.</summary>
public sealed class RawSocketException(int errno, string call)
    : Exception($"{call}: {Marshal.GetPInvokeErrorMessage(errno)}")
{
    /// <summary>The C library's errno.</summary>
    public int Errno { get; } = errno;

    /// <summary>True when the call gave up because its timeout passed (EAGAIN, EINPROGRESS on connect, ETIMEDOUT).</summary>
    public bool TimedOut => Errno is 11 or 110 or 115;
}

/// <summary>
/// A blocking stream socket (unix or TCP) made of plain system calls. contiv-cni makes one call per process, and
/// <see cref="Socket"/>'s first use starts its event-loop thread and probes the system (≈ 0.7 ms of a 4 ms process).
/// Timeouts are the kernel's (SO_RCVTIMEO / SO_SNDTIMEO; a blocking connect honours the send timeout).
/// </summary>
public sealed unsafe class RawSocket : IDisposable
{
    private const int AfUnix = 1, AfInet = 2, AfInet6 = 10, SockStream = 1, SockCloexec = 0x80000;
    private const int SolSocket = 1, SoRcvTimeo = 20, SoSndTimeo = 21, IpProtoTcp = 6, TcpNoDelay = 1;
    private const int MsgNoSignal = 0x4000, Eintr = 4;

    private int _fd;

    private RawSocket(int fd) => _fd = fd;

    /// <summary>Connects to a unix socket path, an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/> within <paramref name="timeoutMs"/> (0: no limit).</summary>
    public static RawSocket Connect(EndPoint endpoint, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is DnsEndPoint dns)
        {
            // Every address the name has, in the resolver's order, like a browser or Grpc.Net.Client would.
            RawSocketException? last = null;
            foreach (var address in Dns.GetHostAddresses(dns.Host))
            {
                try
                {
                    return Connect(new IPEndPoint(address, dns.Port), timeoutMs);
                }
                catch (RawSocketException e) when (!e.TimedOut)
                {
                    last = e;
                }
            }

            throw last ?? new RawSocketException(99, $"connect {dns.Host}"); // EADDRNOTAVAIL: the name has no address
        }

        Span<byte> sockaddr = stackalloc byte[110];
        int length, family;
        switch (endpoint)
        {
            case UnixSocketPath or UnixDomainSocketEndPoint:
                var path = Encoding.UTF8.GetBytes(endpoint.ToString()!);
                if (path.Length > 107)
                {
                    throw new ArgumentException($"unix socket path longer than 107 bytes: {endpoint}");
                }

                family = AfUnix;
                BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, AfUnix);
                path.CopyTo(sockaddr[2..]);
                length = 2 + path.Length + 1;
                break;
            case IPEndPoint ip when ip.AddressFamily == AddressFamily.InterNetwork:
                family = AfInet;
                BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, AfInet);
                BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)ip.Port);
                ip.Address.TryWriteBytes(sockaddr[4..8], out _);
                length = 16;
                break;
            case IPEndPoint ip6 when ip6.AddressFamily == AddressFamily.InterNetworkV6:
                family = AfInet6;
                BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, AfInet6);
                BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)ip6.Port);
                ip6.Address.TryWriteBytes(sockaddr[8..24], out _);
                BinaryPrimitives.WriteUInt32LittleEndian(sockaddr[24..], (uint)ip6.Address.ScopeId);
                length = 28;
                break;
            default:
                throw new ArgumentException($"unsupported endpoint {endpoint}");
        }

        var fd = Libc.Socket(family, SockStream | SockCloexec, 0);
        if (fd < 0)
        {
            throw new RawSocketException(Marshal.GetLastPInvokeError(), "socket");
        }

        var s = new RawSocket(fd);
        try
        {
            if (family != AfUnix)
            {
                var one = 1;
                _ = Libc.SetSockOpt(fd, IpProtoTcp, TcpNoDelay, &one, sizeof(int));
            }

            s.SetTimeout(SoSndTimeo, timeoutMs);
            fixed (byte* a = sockaddr)
            {
                while (Libc.Connect(fd, a, (uint)length) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != Eintr)
                    {
                        throw new RawSocketException(errno, "connect");
                    }
                }
            }

            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Sends all of <paramref name="data"/> within <paramref name="timeoutMs"/> per blocking wait (0: no limit).</summary>
    public void Send(ReadOnlySpan<byte> data, int timeoutMs)
    {
        SetTimeout(SoSndTimeo, timeoutMs);
        fixed (byte* p = data)
        {
            var sent = 0;
            while (sent < data.Length)
            {
                var n = Libc.Send(_fd, p + sent, (nuint)(data.Length - sent), MsgNoSignal);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    throw new RawSocketException(errno, "send");
                }

                sent += (int)n;
            }
        }
    }

    /// <summary>Receives what is there (at least one byte; 0 at end of stream), waiting at most <paramref name="timeoutMs"/> (0: no limit).</summary>
    public int Receive(Span<byte> buffer, int timeoutMs)
    {
        SetTimeout(SoRcvTimeo, timeoutMs);
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.Recv(_fd, p, (nuint)buffer.Length, 0);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                {
                    throw new RawSocketException(errno, "recv");
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = Libc.Close(_fd);
            _fd = -1;
        }
    }

    private void SetTimeout(int option, int timeoutMs)
    {
        Span<long> tv = [timeoutMs / 1000, timeoutMs % 1000 * 1000];
        fixed (long* p = tv)
        {
            if (Libc.SetSockOpt(_fd, SolSocket, option, p, 16) != 0)
            {
                throw new RawSocketException(Marshal.GetLastPInvokeError(), "setsockopt");
            }
        }
    }
}
