using System.Net.Sockets;
using Contiv.Cni.Protocol;
using Contiv.Model.Cni;
using Grpc.Core;
using Grpc.Net.Client;

namespace Contiv.Cni.Agent;

/// <summary>
/// The gRPC connection to the agent's <c>RemoteCNI</c> server. <c>grpcServer</c> starting with
/// <c>/</c> is a unix socket path, anything else is <c>host:port</c> over plain HTTP/2.
/// Owns its channel: dispose after the one invocation.
/// </summary>
public sealed class AgentConnection : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);
    private readonly GrpcChannel _channel;

    /// <summary>Opens a channel (lazily connected) to <paramref name="grpcServer"/>.</summary>
    public AgentConnection(string grpcServer)
    {
        Server = grpcServer;
        IsUnixSocket = grpcServer.StartsWith('/');
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        if (IsUnixSocket)
        {
            handler.ConnectCallback = ConnectUnixAsync;
        }

        var address = IsUnixSocket ? "http://localhost" : $"http://{grpcServer}";
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (!IsUnixSocket && uri.Port <= 0))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"grpcServer \"{grpcServer}\" is neither a unix socket path (starting with '/') nor host:port");
        }

        _channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 4 * 1024 * 1024,
        });
        Client = new RemoteCNI.RemoteCNIClient(_channel);
    }

    /// <summary>The configured agent address (for messages).</summary>
    public string Server { get; }

    /// <summary>True when <see cref="Server"/> is a unix socket path.</summary>
    public bool IsUnixSocket { get; }

    /// <summary>The generated RemoteCNI client.</summary>
    public RemoteCNI.RemoteCNIClient Client { get; }

    /// <summary>The underlying channel (for calls outside RemoteCNI, e.g. the gRPC health service).</summary>
    public CallInvoker Invoker => _channel.CreateCallInvoker();

    /// <summary>
    /// Fails fast with <paramref name="code"/> when the unix socket does not exist, so a missing
    /// agent is reported without waiting for a connect timeout.
    /// </summary>
    public void EnsureSocketExists(int code)
    {
        if (IsUnixSocket && !File.Exists(Server) && !Directory.Exists(Server))
        {
            throw new CniException(code, $"agent not reachable: grpcServer socket {Server} does not exist (is contiv-agent running?)");
        }
    }

    /// <summary>Maps a gRPC failure of <paramref name="operation"/> to a CNI error.</summary>
    public CniException Translate(RpcException e, string operation)
    {
        var transient = e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled;
        return new CniException(
            transient ? CniErrorCode.TryAgainLater : CniErrorCode.AgentCallFailed,
            $"agent {operation} via {Server} failed: {e.StatusCode}: {e.Status.Detail}");
    }

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();

    private async ValueTask<Stream> ConnectUnixAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Server), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
