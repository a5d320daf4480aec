using Contiv.Cni.Agent;
using Contiv.Cni.Ipam;
using Contiv.Cni.Protocol;
using Contiv.Cni.State;
using Contiv.Model.Cni;

namespace Contiv.Cni.Commands;

/// <summary>The validated inputs of one invocation and the helpers every command shares.</summary>
public sealed class Invocation(CniEnvironment env, NetworkConfig conf, CniLog log)
{
    /// <summary>How long one agent call may take (the agent programs the data plane meanwhile).</summary>
    public static readonly TimeSpan AgentCallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The CNI_* variables.</summary>
    public CniEnvironment Env { get; } = env;

    /// <summary>The network configuration.</summary>
    public NetworkConfig Conf { get; } = conf;

    /// <summary>The invocation's log.</summary>
    public CniLog Log { get; } = log;

    /// <summary>Called with the name of each step a command reaches (tests inject failures there); null in production.</summary>
    internal Action<string>? Step { get; init; }

    /// <summary>The attachment records under <c>dataDir</c>.</summary>
    public AttachmentStore Store { get; } = new(conf.DataDir);

    /// <summary>The configured IPAM plugin, or null.</summary>
    public IpamPlugin? FindIpam() => Conf.IpamType is { } type ? IpamPlugin.Find(type, Env.Path) : null;

    /// <summary>
    /// The environment a delegated plugin gets for an attachment (the runtime's own, or a GC replay's);
    /// <c>CNI_PATH</c> is passed on explicitly because the reference IPAM plugins require it.
    /// </summary>
    public static Dictionary<string, string> DelegateEnv(string containerId, string ifName, string netns, string args, IReadOnlyList<string> path)
        => new(StringComparer.Ordinal)
        {
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_IFNAME"] = ifName,
            ["CNI_NETNS"] = netns,
            ["CNI_ARGS"] = args,
            ["CNI_PATH"] = string.Join(':', path),
        };

    /// <summary>The environment for delegating this invocation's own attachment.</summary>
    public Dictionary<string, string> OwnDelegateEnv() => DelegateEnv(Env.ContainerId, Env.IfName, Env.Netns, Env.Args, Env.Path);

    /// <summary>The agent request for this invocation.</summary>
    public CNIRequest Request(string? ipamType = null, string? ipamData = null) => new()
    {
        Version = Conf.CniVersion,
        ContainerId = Env.ContainerId,
        NetworkNamespace = Env.Netns,
        InterfaceName = Env.IfName,
        ExtraNwConfig = Conf.Text,
        ExtraArguments = Env.Args,
        IpamType = ipamType ?? string.Empty,
        IpamData = ipamData ?? string.Empty,
    };

    /// <summary>Fails with code 3 when the container's network namespace does not exist.</summary>
    public void RequireNetns()
    {
        if (!File.Exists(Env.Netns))
        {
            throw new CniException(CniErrorCode.UnknownContainer,
                $"CNI_NETNS={Env.Netns}: the network namespace does not exist (container unknown)");
        }
    }

    /// <summary>Calls the agent's Delete for an attachment; a gRPC failure becomes a CNI error.</summary>
    public static void AgentDelete(string grpcServer, CNIRequest request)
    {
        var agent = new AgentConnection(grpcServer);
        agent.EnsureSocketExists(CniErrorCode.TryAgainLater);
        CNIReply reply;
        try
        {
            reply = agent.Client.Delete(request, deadline: DateTime.UtcNow + AgentCallTimeout);
        }
        catch (Grpc.Core.RpcException e)
        {
            throw agent.Translate(e, "Delete");
        }

        if (reply.Result != 0)
        {
            throw new CniException(CniErrorCode.AgentRejected,
                $"agent refused Delete of {request.ContainerId}/{request.InterfaceName} (result {reply.Result}): {reply.Error}");
        }
    }
}
