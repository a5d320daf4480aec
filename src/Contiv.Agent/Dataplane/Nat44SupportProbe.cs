using Contiv.Model.Vpp;
using Grpc.Core;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// Asks the data plane whether it understands NAT44 operations, by deleting a mapping that cannot exist. A data plane
/// built before NAT44 does not know the operation's object and answers "empty operation"; one with NAT44 answers
/// NOT_FOUND (or rejects the address): either way it knew what was asked. Transitional: lets an agent with services
/// run against an older contiv-vpp without failing every transaction.
/// </summary>
internal static class Nat44SupportProbe
{
    /// <summary>True/false when the data plane answered; null when it could not be asked (not running).</summary>
    public static bool? Probe(DataplaneConnection dataplane)
    {
        ArgumentNullException.ThrowIfNull(dataplane);
        var batch = new ConfigBatch
        {
            Ops =
            {
                new ConfigOp
                {
                    Action = ConfigOp.Types.Action.Delete,
                    Nat44StaticMapping = new Nat44StaticMapping { ExternalIp = "0.0.0.0", ExternalPort = 0, Protocol = Nat44Protocol.Tcp },
                },
            },
        };
        try
        {
            using var call = dataplane.Client.ApplyAsync(batch, dataplane.Options());
            var reply = DataplaneConnection.WaitWithoutSpinning(call.ResponseAsync);
            return !(reply.Results.Count > 0 && reply.Results[0].Status == OpResult.Types.Status.Failed
                && reply.Results[0].Error.StartsWith("empty operation", StringComparison.Ordinal));
        }
        catch (RpcException)
        {
            return null;
        }
    }
}
