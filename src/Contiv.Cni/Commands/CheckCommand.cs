using System.Net;
using Contiv.Cni.Agent;
using Contiv.Cni.Netns;
using Contiv.Cni.Protocol;
using Contiv.Linux;
using Contiv.Model.Cni;
using Grpc.Core;

namespace Contiv.Cni.Commands;

/// <summary>
/// CHECK: the container's interface named <c>CNI_IFNAME</c> must exist and be up in
/// <c>CNI_NETNS</c> with the MAC, addresses and routes that prevResult lists for it; the agent
/// (<c>PodCheck</c> on the <c>grpcServer</c> socket) must have the container wired with the same
/// address and its data-plane side in place; the IPAM plugin (when configured) is asked to CHECK
/// its reservation too.
/// </summary>
public static class CheckCommand
{
    /// <summary>Runs CHECK; prints nothing.</summary>
    public static string? Run(Invocation inv)
    {
        inv.RequireNetns();
        var prev = inv.Conf.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "CHECK needs prevResult (the result of the ADD), but the configuration has none");
        // The namespace first (what the pod really has), then the IPAM plugin's reservation, then the agent.
        var problems = Verify(prev, inv.Env.IfName, inv.Env.Netns, NetnsInspector.Inspect(inv.Env.Netns));
        if (problems.Count == 0)
        {
            inv.FindIpam()?.Run("CHECK", inv.Conf.Text, inv.OwnDelegateEnv());
            problems.AddRange(AskAgent(inv, prev));
        }

        if (problems.Count > 0)
        {
            throw new CniException(CniErrorCode.CheckMismatch,
                $"CHECK of {inv.Env.ContainerId}: {string.Join("; ", problems)}");
        }

        return null;
    }

    /// <summary>
    /// The agent's view: its <c>PodCheck</c> answer must be success and list prevResult's addresses
    /// of the interface. An agent without <c>PodCheck</c> (Unimplemented) is not asked.
    /// </summary>
    private static List<string> AskAgent(Invocation inv, CniResult prev)
    {
        var agent = new AgentConnection(inv.Conf.GrpcServer);
        agent.EnsureSocketExists(CniErrorCode.TryAgainLater);
        CNIReply reply;
        try
        {
            reply = new PodCheck.PodCheckClient(agent.Invoker).Check(inv.Request(inv.Conf.IpamType), deadline: DateTime.UtcNow + Invocation.AgentCallTimeout);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            inv.Log.Info($"agent at {agent.Server} has no PodCheck service: only the namespace was checked");
            return [];
        }
        catch (RpcException e)
        {
            throw agent.Translate(e, "Check");
        }

        if (reply.Result != 0)
        {
            return [$"agent: {reply.Error}"];
        }

        var index = prev.Interfaces.FindIndex(i => i.Name == inv.Env.IfName);
        var agentIps = reply.Interfaces.Where(i => i.Name == inv.Env.IfName).SelectMany(i => i.IpAddresses).Select(ip => ip.Address).ToHashSet(StringComparer.Ordinal);
        return prev.Ips.Where(ip => ip.Interface == index && !agentIps.Contains(ip.Address))
            .Select(ip => $"agent has {inv.Env.IfName} of {inv.Env.ContainerId} with {(agentIps.Count > 0 ? string.Join(", ", agentIps) : "no address")}, prevResult says {ip.Address}")
            .ToList();
    }

    /// <summary>Compares the namespace's state with prevResult; returns every difference found.</summary>
    public static List<string> Verify(CniResult prev, string ifName, string netns, NetnsSnapshot snapshot)
    {
        var problems = new List<string>();
        var index = prev.Interfaces.FindIndex(i => i.Name == ifName && (string.IsNullOrEmpty(i.Sandbox) || i.Sandbox == netns));
        if (index < 0)
        {
            problems.Add($"prevResult lists no interface {ifName} in sandbox {netns}");
            return problems;
        }

        var expected = prev.Interfaces[index];
        var link = snapshot.Links.FirstOrDefault(l => l.Name == ifName);
        if (link is null)
        {
            problems.Add($"interface {ifName} does not exist in {netns}");
            return problems;
        }

        if (!link.IsUp)
        {
            problems.Add($"interface {ifName} in {netns} is down");
        }

        if (!string.IsNullOrEmpty(expected.Mac))
        {
            var live = link.MacAddress is { } m ? LinkAddress.Format(m) : "none";
            if (!MacAddressText.TryNormalize(expected.Mac, out var wanted))
            {
                problems.Add($"prevResult interface {ifName} MAC \"{expected.Mac}\" is not a MAC address");
            }
            else if (wanted != live)
            {
                problems.Add($"interface {ifName} has MAC {live}, prevResult says {expected.Mac}");
            }
        }

        foreach (var ip in prev.Ips.Where(ip => ip.Interface == index))
        {
            var (address, prefix) = SplitCidr(ip.Address);
            if (!snapshot.Addresses.Any(a => a.InterfaceIndex == link.Index && a.Address.Equals(address) && a.PrefixLength == prefix))
            {
                var present = snapshot.Addresses.Where(a => a.InterfaceIndex == link.Index).Select(a => $"{a.Address}/{a.PrefixLength}").ToList();
                problems.Add($"address {ip.Address} is missing on {ifName} (present: {(present.Count > 0 ? string.Join(", ", present) : "none")})");
            }
        }

        foreach (var route in prev.Routes)
        {
            if (!IPNetwork.TryParse(route.Dst, out var dst))
            {
                problems.Add($"prevResult route dst \"{route.Dst}\" is not a prefix");
                continue;
            }

            IPAddress? gw = null;
            if (!string.IsNullOrEmpty(route.Gw) && !IPAddress.TryParse(route.Gw, out gw))
            {
                problems.Add($"prevResult route gw \"{route.Gw}\" is not an address");
                continue;
            }

            if (!snapshot.Routes.Any(r => r.Type == RouteType.Unicast && r.Destination.Equals(dst) && (gw is null || gw.Equals(r.Gateway))))
            {
                problems.Add($"route {route.Dst}{(gw is null ? string.Empty : $" via {gw}")} is missing in {netns}");
            }
        }

        return problems;
    }

    private static (IPAddress Address, int Prefix) SplitCidr(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return (IPAddress.Parse(cidr.AsSpan(0, slash)), int.Parse(cidr.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture));
    }
}
