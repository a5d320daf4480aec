using System.Net.Sockets;
using Contiv.Lab.Kubelet.Cri.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// A gRPC channel to a CRI runtime's unix socket (kubelet's <c>--container-runtime-endpoint
/// unix:///…</c>) and the generated <c>runtime.v1.RuntimeService</c> client on it.
/// </summary>
internal sealed class CriConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    private CriConnection(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

        // The authority is irrelevant over a unix socket; gRPC needs some http URI.
        _channel = GrpcChannel.ForAddress("http://cri.local", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 << 20 });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
    }

    /// <summary>The runtime's socket.</summary>
    public string SocketPath { get; }

    /// <summary>The CRI runtime service.</summary>
    public RuntimeService.RuntimeServiceClient Runtime { get; }

    /// <summary>Opens a connection to <paramref name="endpoint"/> (<c>unix:///path</c> or a plain path).</summary>
    public static CriConnection Open(string endpoint)
    {
        var path = endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;
        if (!Path.IsPathRooted(path))
        {
            throw new ArgumentException($"CRI endpoint \"{endpoint}\": expected unix:///absolute/path/to/socket", nameof(endpoint));
        }

        return new CriConnection(path);
    }

    /// <summary>Waits until the runtime answers <c>Version</c> and returns its answer.</summary>
    public async Task<VersionResponse> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await Runtime.VersionAsync(new VersionRequest { Version = "v1" }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct).ConfigureAwait(false);
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet (or still loading its plugins).
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}
