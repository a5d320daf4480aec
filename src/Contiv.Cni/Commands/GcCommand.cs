using Contiv.Cni.Ipam;
using Contiv.Cni.Protocol;
using Contiv.Model.Cni;

namespace Contiv.Cni.Commands;

/// <summary>
/// GC: every recorded attachment that is not in <c>cni.dev/valid-attachments</c> is released the
/// way DEL would release it (agent Delete with the ADD's parameters, IPAM DEL with the ADD's
/// configuration), then forgotten. Keeps going on errors and reports them all; finally forwards GC
/// to the IPAM plugin when it speaks the configuration's version.
/// </summary>
public static class GcCommand
{
    /// <summary>Runs GC; prints nothing.</summary>
    public static string? Run(Invocation inv)
    {
        var valid = inv.Conf.ValidAttachments.ToHashSet();
        var problems = new List<string>();
        var firstCode = 0;
        foreach (var record in inv.Store.List(problems))
        {
            if (valid.Contains((record.ContainerId, record.IfName)))
            {
                continue;
            }

            try
            {
                Release(inv, record);
                inv.Store.Remove(record.ContainerId, record.IfName);
                inv.Log.Info($"released stale attachment {record.ContainerId}/{record.IfName} ({record.Netns})");
            }
            catch (CniException e)
            {
                problems.Add($"{record.ContainerId}/{record.IfName}: {e.Message}");
                firstCode = firstCode == 0 ? e.Code : firstCode;
            }
        }

        if (inv.FindIpam() is { } ipam)
        {
            try
            {
                var env = inv.OwnDelegateEnv();
                if (ipam.SupportedVersions(env).Contains(inv.Conf.CniVersion))
                {
                    ipam.Run("GC", inv.Conf.Text, env);
                }
            }
            catch (CniException e)
            {
                problems.Add(e.Message);
                firstCode = firstCode == 0 ? e.Code : firstCode;
            }
        }

        if (problems.Count > 0)
        {
            throw new CniException(firstCode == 0 ? CniErrorCode.StateStoreFailed : firstCode,
                $"GC could not release everything: {string.Join("; ", problems)}");
        }

        return null;
    }

    private static void Release(Invocation inv, State.AttachmentRecord record)
    {
        // The record carries the ADD's configuration: its agent and IPAM settings apply.
        var conf = NetworkConfig.Parse(record.Config, CniCommand.Del);
        Invocation.AgentDelete(conf.GrpcServer, new CNIRequest
        {
            Version = conf.CniVersion,
            ContainerId = record.ContainerId,
            NetworkNamespace = record.Netns,
            InterfaceName = record.IfName,
            ExtraNwConfig = record.Config,
            ExtraArguments = record.Args,
        });
        if (conf.IpamType is { } type)
        {
            IpamPlugin.Find(type, inv.Env.Path).Run("DEL", record.Config,
                Invocation.DelegateEnv(record.ContainerId, record.IfName, record.Netns, record.Args, inv.Env.Path));
        }
    }
}
