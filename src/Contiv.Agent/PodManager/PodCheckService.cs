using Contiv.Agent.Dataplane;
using Contiv.Agent.IpNet;
using Contiv.Model.Cni;
using Contiv.Model.Vpp;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.PodManager;

/// <summary>
/// <c>PodCheck</c> (podcheck.proto): CNI CHECK asks for the agent's view of one attachment. The pod
/// must be wired here under the request's container ID (and interface name), have its IP, and the
/// data plane must hold its TAP (admin up) and the pod's /32 route in the pod VRF. Read-only: it
/// copies the event loop's pod table and asks the data plane, it queues no event.
/// </summary>
internal sealed class PodCheckService(AgentContext ctx, DataplaneConnection dataplane, ILogger<PodCheckService> log) : PodCheck.PodCheckBase
{
    /// <inheritdoc/>
    public override async Task<CNIReply> Check(CNIRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var pod = AgentContext.Snapshot(() => ctx.LocalPods.Values).Find(p => p.ContainerId == request.ContainerId);
        var ifName = string.IsNullOrEmpty(request.InterfaceName) ? "eth0" : request.InterfaceName;
        if (pod is null)
        {
            return Failed(request, $"no pod with container {request.ContainerId} is wired on node {ctx.NodeName}");
        }

        var podIfName = pod.InterfaceName.Length > 0 ? pod.InterfaceName : "eth0";
        if (podIfName != ifName)
        {
            return Failed(request, $"pod {pod.Namespace}/{pod.Name} is wired with interface {podIfName}, not {ifName}");
        }

        if (pod.IpAddress.Length == 0 || ctx.Addressing is not { } addressing)
        {
            return Failed(request, $"pod {pod.Namespace}/{pod.Name} has no IP address yet");
        }

        DumpReply dump;
        try
        {
            dump = await dataplane.Client.DumpAsync(new DumpRequest { Kinds = { ObjectKind.Interfaces, ObjectKind.Routes } }, dataplane.Options(context.CancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            return Failed(request, $"the data plane at {dataplane.SocketPath} cannot be asked: {e.Status.Detail}");
        }

        var problems = new List<string>();
        var tap = IpNetConfig.PodTapName(pod.ContainerId);
        var vrf = ctx.Settings.Config.PodVrfId;
        var intf = dump.Interfaces.FirstOrDefault(i => i.Name == tap);
        if (intf is null)
        {
            problems.Add($"the data plane has no interface {tap}");
        }
        else if (!intf.Enabled)
        {
            problems.Add($"data plane interface {tap} is down");
        }

        var dst = pod.IpAddress + "/32";
        if (!dump.Routes.Any(r => r.VrfId == vrf && r.DstNetwork == dst && r.OutInterface == tap))
        {
            problems.Add($"the data plane has no route {dst} via {tap} in VRF {vrf}");
        }

        if (problems.Count > 0)
        {
            return Failed(request, $"pod {pod.Namespace}/{pod.Name}: {string.Join("; ", problems)}");
        }

        var link = PodInterfaceReader.Read(request.NetworkNamespace, ifName, pod.ContainerId, log);
        return SuccessReply(ifName, request.NetworkNamespace, link, pod.IpAddress, addressing.PodGateway.ToString());
    }

    /// <summary>
    /// The reply of a successful Add (and Check): one interface (with the MAC and MTU the pod sees)
    /// holding the pod IP /32 and the gateway, a default route.
    /// </summary>
    public static CNIReply SuccessReply(string ifName, string netns, PodInterfaceInfo link, string podIp, string? gateway)
    {
        ArgumentNullException.ThrowIfNull(link);
        var reply = new CNIReply { Result = 0 };
        var iface = new CNIReply.Types.Interface { Name = ifName, Sandbox = netns, Mac = link.Mac, Mtu = (uint)Math.Max(0, link.Mtu) };
        iface.IpAddresses.Add(new CNIReply.Types.Interface.Types.IP
        {
            Version = CNIReply.Types.Interface.Types.IP.Types.Version.Ipv4,
            Address = podIp + "/32",
            Gateway = gateway ?? string.Empty,
        });
        reply.Interfaces.Add(iface);
        reply.Routes.Add(new CNIReply.Types.Route { Dst = "0.0.0.0/0", Gw = gateway ?? string.Empty });
        return reply;
    }

    private CNIReply Failed(CNIRequest request, string error)
    {
        log.LogInformation("CNI Check of container {Container}: {Error}", request.ContainerId, error);
        return new CNIReply { Result = 1, Error = error };
    }
}
