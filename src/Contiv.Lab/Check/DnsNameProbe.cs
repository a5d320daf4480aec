using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net.Dns;
using Contiv.Linux;

namespace Contiv.Lab.Check;

/// <summary>
/// A Service reached by its DNS name from inside a namespace, as a pod's resolver would: an A query to the cluster DNS
/// (kube-dns, 10.96.0.10) from a UDP socket created in the source namespace, then a TCP handshake to the answer.
/// </summary>
public static class DnsNameProbe
{
    /// <summary>Resolves <paramref name="name"/> through <paramref name="dns"/> (3 tries of 1 s) and connects to the first address; false when either fails.</summary>
    public static async Task<bool> ConnectAsync(NamespaceThread ns, IPAddress dns, string name, int port, CancellationToken ct)
    {
        var address = await ResolveAsync(ns, dns, name, ct).ConfigureAwait(false);
        return address is not null && await Probes.TcpConnectAsync(ns, address, port, 3, TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
    }

    /// <summary>The first A record of <paramref name="name"/> from <paramref name="dns"/>, or null (no answer within 3 × 1 s, or none).</summary>
    public static async Task<IPAddress?> ResolveAsync(NamespaceThread ns, IPAddress dns, string name, CancellationToken ct)
    {
        using var socket = await ns.RunAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ConfigureAwait(false);
        var reply = new byte[1500];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var id = (ushort)Random.Shared.Next(1, 65535);
            try
            {
                await socket.SendToAsync(Query(name, id), SocketFlags.None, new IPEndPoint(dns, 53), ct).ConfigureAwait(false);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                while (true)
                {
                    var n = await socket.ReceiveAsync(reply, SocketFlags.None, wait.Token).ConfigureAwait(false);
                    var message = DnsMessage.Parse(new ArraySegment<byte>(reply, 0, n));
                    if (message.TransactionID != id)
                    {
                        continue;
                    }

                    return message.AnswerRecords.OfType<ARecord>().FirstOrDefault()?.Address;
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // No reply within a second: next attempt.
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <summary>A standard query (recursion desired) for the A record of <paramref name="name"/>.</summary>
    private static byte[] Query(string name, ushort id)
    {
        var bytes = new List<byte>(64) { 0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        BinaryPrimitives.WriteUInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes), id);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, 0, 1, 0, 1]);
        return [.. bytes];
    }
}
