using System.Net.Sockets;
using Contiv.Model.Stn;
using Grpc.Core;
using Grpc.Net.Client;

namespace Contiv.Agent.Stn;

/// <summary>
/// Asks contiv-stn (stn.proto's <c>STN</c> service on its unix socket) what it took from the host
/// (<c>StolenInterfaceInfo</c>). The agent does it once, at start (SPEC §1.6.2: "STN info is loaded once").
/// </summary>
internal static class StnInfoClient
{
    /// <summary>
    /// The stolen interface <paramref name="interfaceName"/> ("" = whichever is stolen), retried for
    /// <paramref name="patience"/> while contiv-stn is not reachable yet. Throws <see cref="StnUnavailableException"/>
    /// naming the socket and the interface when it cannot be had.
    /// </summary>
    public static async Task<StolenInterface> GetAsync(string socketPath, string interfaceName, TimeSpan patience, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
                {
                    var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token).ConfigureAwait(false);
                    }
                    catch
                    {
                        s.Dispose();
                        throw;
                    }

                    return new NetworkStream(s, ownsSocket: true);
                },
            },
        });
        var client = new STN.STNClient(channel);
        var deadline = DateTime.UtcNow + patience;
        var what = interfaceName.Length == 0 ? "any stolen interface" : $"interface '{interfaceName}'";
        while (true)
        {
            try
            {
                var reply = await client.StolenInterfaceInfoAsync(new STNRequest { InterfaceName = interfaceName }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct).ConfigureAwait(false);
                if (reply.Result != 0)
                {
                    throw new StnUnavailableException($"contiv-stn on {socketPath}: {what}: {reply.Error}");
                }

                // contiv-stn answers "" with the interface it stole; the reply does not name it, so the caller's
                // name (or the configured one) is what the main NIC is called.
                return StolenInterface.FromReply(interfaceName, reply);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw new StnUnavailableException($"contiv-stn on {socketPath}: {what}: {e.Status.Detail} ({e.StatusCode})");
            }
            catch (FormatException e)
            {
                throw new StnUnavailableException(e.Message);
            }
        }
    }
}

/// <summary>The agent in STN mode could not learn the stolen interface from contiv-stn.</summary>
internal sealed class StnUnavailableException(string message) : Exception(message);
