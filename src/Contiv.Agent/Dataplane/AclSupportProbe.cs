using Contiv.Model.Vpp;
using Grpc.Core;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// Asks the data plane whether it understands ACL operations, by deleting an ACL that cannot exist: a data plane
/// built before ACLs answers "empty operation".
/// Transitional: lets an agent with policies run against an older contiv-vpp without failing every transaction.
/// </summary>
internal static class AclSupportProbe
{
    /// <summary>True/false when the data plane answered; null when it could not be asked (not running).</summary>
    public static bool? Probe(DataplaneConnection dataplane)
    {
        ArgumentNullException.ThrowIfNull(dataplane);
        var batch = new ConfigBatch
        {
            Ops = { new ConfigOp { Action = ConfigOp.Types.Action.Delete, Acl = new Acl { Name = "contiv-policy-support-probe" } } },
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
