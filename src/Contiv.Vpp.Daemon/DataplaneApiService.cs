using System.Threading.Channels;
using Contiv.Model.Vpp;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Interfaces;
using Grpc.Core;
using Api = Contiv.Model.Vpp;
using Engine = Contiv.Vpp.Dataplane;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// The gRPC control API (service <c>contiv.vpp.Dataplane</c>) over the data plane: only the RPC surface.
/// Operations are mapped onto the engine by <see cref="ConfigApplier"/>, state is read back by
/// <see cref="StateDump"/>.
/// </summary>
public sealed class DataplaneApiService : Api.Dataplane.DataplaneBase
{
    private readonly Engine _dp;
    private readonly CliEngine _cli;
    private readonly ConfigApplier _apply;
    private readonly StateDump _dump;

    /// <summary>Creates the service.</summary>
    public DataplaneApiService(Engine dp, CliEngine cli)
    {
        _dp = dp;
        _cli = cli;
        _apply = new ConfigApplier(dp);
        _dump = new StateDump(dp);
    }

    /// <inheritdoc />
    public override Task<VersionReply> GetVersion(Empty request, ServerCallContext context)
        => Task.FromResult(new VersionReply
        {
            Version = CliEngine.Version,
            BuildDate = CliEngine.BuildTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            UptimeSeconds = (ulong)(DateTimeOffset.UtcNow - _dp.StartTime).TotalSeconds,
            Pid = (uint)Environment.ProcessId,
            InstanceId = ProcessInstance.Id,
        });

    /// <inheritdoc />
    public override Task<HealthReply> GetHealth(Empty request, ServerCallContext context)
        => Task.FromResult(new HealthReply
        {
            Live = _dp.Running,
            Ready = _dp.Running,
            Detail = $"{_dp.WorkerCount} worker(s), {_dp.Interfaces.Count} interface(s), {_dp.Buffers.FreeCount}/{_dp.Buffers.Count} buffers free",
        });

    /// <inheritdoc />
    public override Task<BatchReply> Apply(ConfigBatch request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Config work is synchronous (barrier + netlink); keep it off the gRPC I/O threads.
        return Task.Run(() =>
        {
            var reply = new BatchReply();
            var failed = false;
            foreach (var op in request.Ops)
            {
                if (failed && request.StopOnError)
                {
                    reply.Results.Add(new OpResult { Status = OpResult.Types.Status.Skipped, Error = "skipped after an earlier failure" });
                    continue;
                }

                var r = _apply.ApplyOne(op);
                failed |= r.Status == OpResult.Types.Status.Failed || (r.Status != OpResult.Types.Status.Ok && op.Action == ConfigOp.Types.Action.Put);
                reply.Results.Add(r);
            }

            return reply;
        });
    }

    /// <inheritdoc />
    public override Task<DumpReply> Dump(DumpRequest request, ServerCallContext context)
        => Task.FromResult(_dump.Dump(request));

    /// <inheritdoc />
    public override Task<InterfaceStatsReply> DumpInterfaceStats(Empty request, ServerCallContext context)
        => Task.FromResult(_dump.InterfaceStats());

    /// <inheritdoc />
    public override Task<Nat44SessionDumpReply> DumpNat44Sessions(Nat44SessionDumpRequest request, ServerCallContext context)
        => Task.Run(() => _dump.Nat44Sessions(request));

    /// <inheritdoc />
    public override Task<Nat44SessionDeleteReply> DeleteNat44Sessions(Nat44SessionDeleteRequest request, ServerCallContext context)
        => Task.Run(() => _apply.DeleteSessions(request));

    /// <inheritdoc />
    public override Task<CliReply> Cli(CliRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() =>
        {
            var r = _cli.Execute(request.Command);
            return new CliReply { Output = r.Output, Error = r.Error };
        });
    }

    /// <inheritdoc />
    public override async Task WatchInterfaces(Empty request, IServerStreamWriter<InterfaceEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var channel = Channel.CreateBounded<InterfaceEvent>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
        void Handler(SwInterface i, InterfaceChange change) => channel.Writer.TryWrite(new InterfaceEvent
        {
            Kind = change switch
            {
                InterfaceChange.Created => InterfaceEvent.Types.Kind.Created,
                InterfaceChange.Deleted => InterfaceEvent.Types.Kind.Deleted,
                _ => InterfaceEvent.Types.Kind.Changed,
            },
            Name = i.Name,
            DevName = i.DevName,
            SwIfIndex = (uint)i.SwIfIndex,
            AdminUp = i.AdminUp,
            LinkUp = i.OperUp,
        });

        _dp.InterfaceChanged += Handler;
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(e, context.CancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // client went away
        }
        finally
        {
            _dp.InterfaceChanged -= Handler;
        }
    }
}
