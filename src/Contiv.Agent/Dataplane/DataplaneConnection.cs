using System.Net.Sockets;
using Contiv.Model.Vpp;
using Grpc.Core;
using Grpc.Net.Client;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// gRPC client of <c>contiv-vpp</c>'s control API on its unix socket. The channel reconnects by itself,
/// so a restarted data plane is reached again by the next call.
/// </summary>
public sealed class DataplaneConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    /// <summary>Connects (lazily) to the API socket at <paramref name="socketPath"/>.</summary>
    public DataplaneConnection(string socketPath, TimeSpan? callTimeout = null)
    {
        SocketPath = socketPath;
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(10);
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
            ConnectTimeout = TimeSpan.FromSeconds(3),
        };
        _channel = GrpcChannel.ForAddress("http://contiv-vpp", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Client = new Contiv.Model.Vpp.Dataplane.DataplaneClient(_channel);
    }

    /// <summary>API socket path.</summary>
    public string SocketPath { get; }

    /// <summary>Deadline of every call.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>The generated client.</summary>
    public Contiv.Model.Vpp.Dataplane.DataplaneClient Client { get; }

    /// <summary>Call options with the deadline.</summary>
    public CallOptions Options(CancellationToken ct = default) => new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: ct);

    /// <summary>Applies one operation and throws with the data plane's message when it failed (NOT_FOUND on delete is success).</summary>
    public OpResult ApplyOne(ConfigOp op, string what)
    {
        ArgumentNullException.ThrowIfNull(op);
        BatchReply reply;
        try
        {
            reply = Client.Apply(new ConfigBatch { Ops = { op }, StopOnError = true }, Options());
        }
        catch (RpcException e)
        {
            throw new Scheduler.KvOperationException($"{what}: data plane at {SocketPath} unreachable: {e.Status.Detail}", transient: true, e);
        }

        var r = reply.Results.Count > 0 ? reply.Results[0] : new OpResult { Status = OpResult.Types.Status.Failed, Error = "no result returned" };
        return r.Status switch
        {
            OpResult.Types.Status.Ok => r,
            OpResult.Types.Status.NotFound when op.Action == ConfigOp.Types.Action.Delete => r,
            _ => throw new Scheduler.KvOperationException($"{what}: {r.Status}: {r.Error}", transient: r.Status != OpResult.Types.Status.AlreadyExists),
        };
    }

    /// <summary>Dumps everything.</summary>
    public DumpReply DumpAll() => Client.Dump(new DumpRequest(), Options());

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();
}
