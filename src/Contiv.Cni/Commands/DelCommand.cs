using Contiv.Cni.Protocol;

namespace Contiv.Cni.Commands;

/// <summary>
/// DEL, best effort and idempotent: asks the agent to disconnect the container, releases the IPAM
/// allocation (also when the agent could not be reached), and forgets the attachment record once
/// everything succeeded. The first failure is reported after all steps were tried. Nothing there is
/// success: no <c>dataDir</c>, no record, no namespace, or an unreachable agent for an attachment
/// this node never recorded.
/// </summary>
public static class DelCommand
{
    /// <summary>Runs DEL; prints nothing.</summary>
    public static string? Run(Invocation inv)
    {
        CniException? first = null;
        try
        {
            Invocation.AgentDelete(inv.Conf.GrpcServer, inv.Request());
        }
        catch (CniException e) when (e.Code == CniErrorCode.TryAgainLater && !inv.Store.Contains(inv.Env.ContainerId, inv.Env.IfName))
        {
            // No record means this plugin never started an ADD of the attachment here (records are
            // written before anything is allocated), so the agent holds nothing of it: nothing to
            // delete is success (spec), and a runtime cleaning up after a reboot is not stuck retrying.
            inv.Log.Warn($"{e.Message}; no attachment record in {inv.Store.Directory}, so there is nothing to delete");
        }
        catch (CniException e)
        {
            inv.Log.Warn(e.Message);
            first = e;
        }

        try
        {
            inv.FindIpam()?.Run("DEL", inv.Conf.Text, inv.OwnDelegateEnv());
        }
        catch (CniException e)
        {
            inv.Log.Warn(e.Message);
            first ??= e;
        }

        if (first is not null)
        {
            throw first;
        }

        inv.Store.Remove(inv.Env.ContainerId, inv.Env.IfName);
        return null;
    }
}
