using Contiv.Cni.Agent;
using Contiv.Cni.Ipam;
using Contiv.Cni.Protocol;
using Contiv.Cni.State;
using Contiv.Model.Cni;
using Grpc.Core;

namespace Contiv.Cni.Commands;

/// <summary>
/// ADD: records the attachment, runs the IPAM plugin when configured, asks the agent to connect
/// the container and prints the agent's answer as a CNI result (appended to prevResult in a chain).
/// Undoes its IPAM allocation when a later step fails.
/// </summary>
public static class AddCommand
{
    /// <summary>Runs ADD and returns the result JSON.</summary>
    public static string Run(Invocation inv)
    {
        inv.RequireNetns();
        var ipam = inv.FindIpam();
        var agent = new AgentConnection(inv.Conf.GrpcServer);

        // Recorded before anything is allocated, so GC can undo a half-done ADD.
        inv.Store.Save(new AttachmentRecord(inv.Env.ContainerId, inv.Env.IfName, inv.Env.Netns, inv.Env.Args, inv.Conf.Text));

        // True while the agent certainly holds nothing of this attachment (not reached, or it refused
        // and reverted its own work): then a failed ADD also forgets the attachment record.
        var agentUntouched = true;
        try
        {
            string? ipamJson = null;
            CniResult? ipamResult = null;
            if (ipam is not null)
            {
                (ipamJson, ipamResult) = ipam.Add(inv.Conf.Text, inv.OwnDelegateEnv());
                inv.Log.Info($"ipam {ipam.Type} allocated {string.Join(", ", ipamResult.Ips.Select(i => i.Address))}");
            }

            inv.Step?.Invoke("ipam-allocated");

            agent.EnsureSocketExists(CniErrorCode.TryAgainLater);
            CNIReply reply;
            try
            {
                agentUntouched = false;
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                reply = agent.Client.Add(inv.Request(ipam?.Type, ipamJson), deadline: DateTime.UtcNow + Invocation.AgentCallTimeout);
                inv.Log.Info($"agent Add answered in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms");
            }
            catch (RpcException e)
            {
                // InvalidArgument: the agent rejected the request before acting on it.
                agentUntouched = e.StatusCode == StatusCode.InvalidArgument;
                throw agent.Translate(e, "Add");
            }

            agentUntouched = reply.Result != 0;

            var result = ReplyTranslation.ToResult(reply);
            if (result.Interfaces.Count == 0)
            {
                throw new CniException(CniErrorCode.AgentReplyInvalid,
                    $"agent reply for {inv.Env.ContainerId} has no interface (expected {inv.Env.IfName} in {inv.Env.Netns})");
            }

            // ips[].interface must point at the interface in the sandbox (the one the runtime asked for).
            var sandboxIndex = Math.Max(0, result.Interfaces.FindIndex(i => i.Name == inv.Env.IfName));
            if (result.Ips.Count == 0 && ipamResult is not null)
            {
                // The agent configured the IPAM plugin's addresses without echoing them.
                result.Ips.AddRange(ipamResult.Ips.Select(ip => ip with { Interface = sandboxIndex }));
                result.Routes.AddRange(ipamResult.Routes);
            }

            if (result.Dns.IsEmpty)
            {
                // The network configuration's dns key passes through (as the reference plugins do);
                // then the IPAM plugin's, when it reported one.
                result.Dns = inv.Conf.Dns ?? ipamResult?.Dns ?? result.Dns;
            }

            inv.Step?.Invoke("result-ready");

            var final = inv.Conf.PrevResult is { } prev ? prev.Concat(result) : result;
            return final.ToJson(inv.Conf.CniVersion, indented: true);
        }
        catch (Exception e)
        {
            // Any failure, expected or not, gives back what IPAM allocated for this ADD.
            if (e is not CniException)
            {
                inv.Log.Error($"ADD failed unexpectedly after the attachment was recorded: {e.GetType().Name}: {e.Message}");
            }

            var released = ipam is null || ReleaseIpam(inv, ipam);
            if (released && agentUntouched)
            {
                inv.Store.Remove(inv.Env.ContainerId, inv.Env.IfName);
            }

            throw;
        }
    }

    private static bool ReleaseIpam(Invocation inv, IpamPlugin ipam)
    {
        try
        {
            ipam.Run("DEL", inv.Conf.Text, inv.OwnDelegateEnv());
            inv.Log.Info($"ipam {ipam.Type} released the allocation of the failed ADD");
            return true;
        }
        catch (Exception e)
        {
            inv.Log.Warn($"releasing the IPAM allocation of the failed ADD failed: {e.Message}");
            return false;
        }
    }
}
