using Contiv.Cni.Protocol;

namespace Contiv.Cni.Commands;

/// <summary>
/// DEL, best effort and idempotent: asks the agent to disconnect the container, releases the IPAM
/// allocation (also when the agent could not be reached), and forgets the attachment record once
/// everything succeeded. The first failure is reported after all steps were tried.
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
