using System.Net.Sockets;
using Contiv.Model.Vpp;
using Grpc.Core;
using Contiv.Agent.Scheduler;
using Grpc.Net.Client;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// gRPC client of <c>contiv-vpp</c>'s control API on its unix socket. The channel reconnects by itself,
/// so a restarted data plane is reached again by the next call.
/// </summary>
internal sealed class DataplaneConnection : IDisposable, IDataplaneConfigApi
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
            // An idle agent keeps no connection to the API open (liveness has its own socket: DataplaneLiveness): the
            // API's server ticks every open HTTP/2 connection once a second on a pool thread. Reconnecting over a unix
            // socket after a quiet spell costs well under a millisecond.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
        };
        _channel = GrpcChannel.ForAddress("http://contiv-vpp", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = DataplaneApiLimits.MaxMessageBytes,
            MaxSendMessageSize = DataplaneApiLimits.MaxMessageBytes,
        });
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
    public void ApplyOne(ConfigOp op, string what)
    {
        ArgumentNullException.ThrowIfNull(op);
        var r = Execute([new KvBatchOperation<ConfigOp>(op, what)])[0];
        if (!r.Done)
        {
            throw r.Error ?? new Scheduler.KvOperationException($"{what}: not applied", transient: true);
        }
    }

    /// <summary>
    /// Applies the scheduler's queued data plane operations in one <c>Apply</c> call that stops at the first failure:
    /// a pod's interface, ARP entry and route cost one round trip.
    /// </summary>
    public IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<KvBatchOperation<ConfigOp>> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var batch = new ConfigBatch { StopOnError = true };
        foreach (var o in operations)
        {
            batch.Ops.Add(o.Operation);
        }

        BatchReply reply;
        try
        {
            // Not Client.Apply: its blocking wait spins (sched_yield) before it sleeps, CPU a busy node needs for
            // the data plane's side of the very call being waited for.
            using var call = Client.ApplyAsync(batch, Options());
            reply = WaitWithoutSpinning(call.ResponseAsync);
        }
        catch (RpcException e)
        {
            return operations.Select(o => KvBatchResult.Failed(new Scheduler.KvOperationException(
                $"{o.What}: data plane at {SocketPath} unreachable: {e.Status.Detail}", transient: true, e))).ToList();
        }

        var results = new List<KvBatchResult>(operations.Count);
        for (var i = 0; i < operations.Count; i++)
        {
            var op = batch.Ops[i];
            var r = i < reply.Results.Count ? reply.Results[i] : new OpResult { Status = OpResult.Types.Status.Failed, Error = "no result returned" };
            results.Add(r.Status switch
            {
                OpResult.Types.Status.Ok => KvBatchResult.Ok,
                OpResult.Types.Status.NotFound when op.Action == ConfigOp.Types.Action.Delete => KvBatchResult.Ok,
                OpResult.Types.Status.Skipped => KvBatchResult.Skipped,
                _ => KvBatchResult.Failed(new Scheduler.KvOperationException($"{operations[i].What}: {r.Status}: {r.Error}",
                    transient: r.Status != OpResult.Types.Status.AlreadyExists)),
            });
        }

        return results;
    }

    /// <summary>Blocks the calling thread until <paramref name="task"/> completes, sleeping at once instead of spinning first.</summary>
    internal static T WaitWithoutSpinning<T>(Task<T> task)
    {
        if (!task.IsCompleted)
        {
            using var done = new ManualResetEventSlim(false, spinCount: 0);
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(done.Set);
            done.Wait();
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>Dumps everything.</summary>
    public DumpReply DumpAll() => Client.Dump(new DumpRequest(), Options());

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();
}
