using System.Net.Sockets;
using Contiv.Model.Stn;
using Grpc.Net.Client;

namespace Contiv.Init;

/// <summary>The STN gRPC client on contiv-stn's unix socket.</summary>
internal sealed class StnClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public StnClient(string socketPath)
    {
        SocketPath = socketPath;
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
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
        Stn = new STN.STNClient(_channel);
    }

    /// <summary>contiv-stn's socket.</summary>
    public string SocketPath { get; }

    /// <summary>The generated client.</summary>
    public STN.STNClient Stn { get; }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}
