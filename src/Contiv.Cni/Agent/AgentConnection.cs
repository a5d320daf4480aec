using System.Net;
using System.Net.Sockets;
using Contiv.Cni.Agent.Http2;
using Contiv.Cni.Protocol;
using Contiv.Model.Cni;
using Grpc.Core;

namespace Contiv.Cni.Agent;

/// <summary>
/// The gRPC connection to the agent's <c>RemoteCNI</c> server. <c>grpcServer</c> starting with
/// <c>/</c> is a unix socket path, anything else is <c>host:port</c> over plain HTTP/2.
/// Calls are made by <see cref="BlockingCallInvoker"/>: one HTTP/2 connection per call, on the calling thread.
/// </summary>
public sealed class AgentConnection
{
    private const int MaxReplySize = 4 * 1024 * 1024;

    /// <summary>Prepares calls to <paramref name="grpcServer"/>; every call opens its own connection.</summary>
    public AgentConnection(string grpcServer)
    {
        Server = grpcServer;
        IsUnixSocket = grpcServer.StartsWith('/');
        EndPoint endpoint;
        string authority;
        if (IsUnixSocket)
        {
            endpoint = new UnixSocketPath(grpcServer);
            authority = "localhost";
        }
        else if (Uri.TryCreate($"http://{grpcServer}", UriKind.Absolute, out var uri) && uri.Port > 0 && uri.AbsolutePath == "/"
                 && grpcServer.Contains(':', StringComparison.Ordinal))
        {
            endpoint = IPAddress.TryParse(uri.IdnHost, out var ip) ? new IPEndPoint(ip, uri.Port) : new DnsEndPoint(uri.IdnHost, uri.Port);
            authority = uri.Authority;
        }
        else
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"grpcServer \"{grpcServer}\" is neither a unix socket path (starting with '/') nor host:port");
        }

        Invoker = new BlockingCallInvoker(endpoint, authority, MaxReplySize);
        Client = new RemoteCNI.RemoteCNIClient(Invoker);
    }

    /// <summary>The configured agent address (for messages).</summary>
    public string Server { get; }

    /// <summary>True when <see cref="Server"/> is a unix socket path.</summary>
    public bool IsUnixSocket { get; }

    /// <summary>The generated RemoteCNI client.</summary>
    public RemoteCNI.RemoteCNIClient Client { get; }

    /// <summary>The call invoker (for calls outside RemoteCNI, e.g. the gRPC health service).</summary>
    public CallInvoker Invoker { get; }

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
}
