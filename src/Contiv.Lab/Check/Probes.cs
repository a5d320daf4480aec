using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Contiv.Linux;

namespace Contiv.Lab.Check;

/// <summary>
/// ICMP echo and TCP connect probes sent from inside a network namespace. Sockets are created on a
/// thread inside the namespace (and stay bound to it); the I/O then runs on ordinary threads.
/// </summary>
public static class Probes
{
    private static int _sequence = Random.Shared.Next(0, 30000);

    /// <summary>Sends ICMP echo requests until one reply arrives or <paramref name="attempts"/> × <paramref name="timeout"/> pass.</summary>
    public static async Task<bool> PingAsync(NamespaceThread ns, IPAddress target, int attempts, TimeSpan timeout, CancellationToken ct)
    {
        using var socket = await ns.RunAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp)).ConfigureAwait(false);
        var id = (ushort)Random.Shared.Next(1, 65535);
        var request = new byte[64];
        var reply = new byte[1500];
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var seq = (ushort)Interlocked.Increment(ref _sequence);
            request[0] = 8; // echo request
            request[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), 0);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), id);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), seq);
            for (var i = 8; i < request.Length; i++)
            {
                request[i] = (byte)i;
            }

            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), Checksum(request));
            try
            {
                await socket.SendToAsync(request, SocketFlags.None, new IPEndPoint(target, 0), ct).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // No route yet: counts as a lost attempt.
                await Task.Delay(timeout, ct).ConfigureAwait(false);
                continue;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(timeout);
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(reply, SocketFlags.None, wait.Token).ConfigureAwait(false);
                    if (IsReply(reply.AsSpan(0, n), target, id, seq))
                    {
                        return true;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
        }

        return false;
    }

    /// <summary>Connects to <paramref name="target"/>:<paramref name="port"/> (three-way handshake) within the attempts.</summary>
    public static async Task<bool> TcpConnectAsync(NamespaceThread ns, IPAddress target, int port, int attempts, TimeSpan timeout, CancellationToken ct)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            using var socket = await ns.RunAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, port), wait.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
                // Refused or unreachable: wait out the rest of the attempt, the path may still be converging.
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
            }
        }

        return false;
    }

    private static bool IsReply(ReadOnlySpan<byte> packet, IPAddress from, ushort id, ushort seq)
    {
        // Raw IPv4 sockets deliver the IP header first.
        if (packet.Length < 20)
        {
            return false;
        }

        var ihl = (packet[0] & 0x0f) * 4;
        if (packet.Length < ihl + 8 || !packet.Slice(12, 4).SequenceEqual(from.GetAddressBytes()))
        {
            return false;
        }

        var icmp = packet[ihl..];
        return icmp[0] == 0 && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == id && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == seq;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)(data[^1] << 8);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}

/// <summary>A TCP listener inside a namespace that accepts and closes connections (the check's target where a pod declares no port).</summary>
public sealed class ProbeListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();

    private ProbeListener(Socket socket)
    {
        _socket = socket;
        _ = AcceptLoopAsync();
    }

    /// <summary>Listens on 0.0.0.0:<paramref name="port"/> inside the namespace; null when the port is taken there.</summary>
    public static async Task<ProbeListener?> StartAsync(NamespaceThread ns, int port)
    {
        var socket = await ns.RunAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            socket.Listen(128);
            return new ProbeListener(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var conn = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
                conn.Dispose();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
