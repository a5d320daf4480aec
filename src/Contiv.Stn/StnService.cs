using Contiv.Model.Stn;
using Contiv.Stn.State;
using Grpc.Core;

namespace Contiv.Stn;

/// <summary>
/// The <c>STN</c> gRPC service (stn.proto). A failure is a gRPC error whose status says what went
/// wrong (NotFound: no such or not stolen interface) and whose text names the interface; the reply
/// message of the original (<c>result=1</c>, <c>error</c>) cannot travel with a gRPC error.
/// </summary>
internal sealed class StnService(StolenInterfaces stolen) : STN.STNBase
{
    /// <inheritdoc />
    public override async Task<STNReply> StealInterface(STNRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return await Call(async () => Reply(await stolen.StealAsync(request.InterfaceName, request.DhcpEnabled, context.CancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task<STNReply> ReleaseInterface(STNRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return await Call(async () =>
        {
            _ = await stolen.ReleaseAsync(request.InterfaceName, context.CancellationToken).ConfigureAwait(false);
            return new STNReply { Result = 0 };
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<STNReply> StolenInterfaceInfo(STNRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Call(() => Task.FromResult(Reply(stolen.Info(request.InterfaceName))));
    }

    /// <summary>The reply for a stolen interface (SPEC §1.8).</summary>
    internal static STNReply Reply(StolenInterface nic)
    {
        var reply = new STNReply { Result = 0, PciAddress = nic.PciAddress, KernelDriver = nic.KernelDriver };
        foreach (var a in nic.Addresses)
        {
            reply.IpAddresses.Add(a.ToString());
        }

        foreach (var r in nic.Routes)
        {
            reply.Routes.Add(new STNReply.Types.Route { DestinationSubnet = r.Destination, NextHopIp = r.Gateway ?? string.Empty });
        }

        return reply;
    }

    private static async Task<STNReply> Call(Func<Task<STNReply>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (StnException e)
        {
            var status = e.Error switch
            {
                StnError.NotFound => StatusCode.NotFound,
                StnError.InvalidArgument => StatusCode.InvalidArgument,
                _ => StatusCode.FailedPrecondition,
            };
            throw new RpcException(new Status(status, e.Message));
        }
        catch (Contiv.Linux.NetlinkException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, e.Message));
        }
    }
}
