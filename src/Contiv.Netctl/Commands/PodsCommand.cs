using System.CommandLine;
using Contiv.Model;
using Contiv.Model.Vpp;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl.Commands;

/// <summary>
/// <c>pods [node]</c>: per node, the pods whose host IP is the node's (etcd), with the data plane
/// interface behind each pod IP (its <c>/32</c> route's TAP and that TAP's index); host-network pods
/// have no interface columns (SPEC §1.5).
/// </summary>
internal static class PodsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var node = new Argument<string?>("node") { Description = "node name (all nodes when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("pods", "Show the pods of one node or all: POD-NAME, NAMESPACE, POD-IP, IF-IDX, IF-NAME (pods from etcd, the TAP from the agent's vpp-route dump, IF-IDX from /dump/vpp/v2/interfaces when the agent serves it); warns about a pod IP outside its node's pod subnet.") { node };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(global, parse, ct, async session =>
        {
            var snapshot = await session.SnapshotAsync(ct).ConfigureAwait(false);
            var nodes = parse.GetValue(node) is { } name
                ? [await session.NodeAsync(name, ct).ConfigureAwait(false)]
                : snapshot.Nodes.Where(n => n.Id != 0).ToList();
            var first = true;
            foreach (var n in nodes)
            {
                var ipam = (await NetctlSession.OnNodeAsync(n, url => session.Agents.GetOkAsync(url, "/contiv/v1/ipam", ct)).ConfigureAwait(false)).GetProperty("podSubnetThisNode").GetString() ?? string.Empty;
                var indexes = await IndexesAsync(session, n, ct).ConfigureAwait(false);
                var routes = await DumpAsync<Route>(session, n, "vpp-route", ct).ConfigureAwait(false);
                if (!first)
                {
                    TableOutput.Line(string.Empty);
                }

                first = false;
                TableOutput.Line($"{n.Name}:");
                var table = TableOutput.New("POD-NAME", "NAMESPACE", "POD-IP", "IF-IDX", "IF-NAME");
                var pods = snapshot.Pods.Where(p => n.ManagementIp.Length > 0 && p.HostIpAddress == n.ManagementIp)
                    .OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal);
                foreach (var p in pods)
                {
                    if (p.IpAddress.Length == 0 || p.IpAddress == p.HostIpAddress)
                    {
                        TableOutput.Row(table, p.Name, p.Namespace, p.IpAddress.Length == 0 ? "-" : p.IpAddress, string.Empty, string.Empty);
                        continue;
                    }

                    var tap = routes.FirstOrDefault(r => r.DstNetwork == p.IpAddress + "/32" && r.OutInterface.StartsWith("vpp-tap-", StringComparison.Ordinal))?.OutInterface;
                    TableOutput.Row(table, p.Name, p.Namespace, p.IpAddress, tap is not null && indexes.TryGetValue(tap, out var idx) ? idx : "-", tap ?? "-");
                    if (!InSubnet(p.IpAddress, ipam))
                    {
                        await Console.Error.WriteLineAsync($"contiv-netctl: pod {p.Namespace}/{p.Name}: IP {p.IpAddress} is outside node {n.Name}'s pod subnet {ipam}").ConfigureAwait(false);
                    }
                }

                TableOutput.Write(table);
            }

            return 0;
        }));
        return command;
    }

    private static async Task<List<T>> DumpAsync<T>(NetctlSession session, NodeTelemetry node, string descriptor, CancellationToken ct)
        where T : Google.Protobuf.IMessage<T>, new()
    {
        var dump = await NetctlSession.OnNodeAsync(node, url => session.Agents.GetOkAsync(url, $"/scheduler/dump?descriptor={descriptor}&state=SB", ct)).ConfigureAwait(false);
        return [.. dump.EnumerateArray().Select(e => ProtoJson.Parse<T>(e.GetProperty("Value").GetRawText()))];
    }

    /// <summary>
    /// Interface name → sw_if_index from vpp-agent's <c>/dump/vpp/v2/interfaces</c> (a map keyed by
    /// sw_if_index); empty when the agent does not serve it (the scheduler's dumps carry no indexes).
    /// </summary>
    private static async Task<Dictionary<string, string>> IndexesAsync(NetctlSession session, NodeTelemetry node, CancellationToken ct)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var (status, body) = await NetctlSession.OnNodeAsync(node, url => session.Agents.GetAsync(url, "/dump/vpp/v2/interfaces", ct)).ConfigureAwait(false);
        if (status != 200 || body is not { ValueKind: System.Text.Json.JsonValueKind.Object } map)
        {
            return result;
        }

        foreach (var entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind == System.Text.Json.JsonValueKind.Object && entry.Value.TryGetProperty("interface", out var i)
                && i.TryGetProperty("name", out var name) && name.GetString() is { Length: > 0 } n)
            {
                result[n] = entry.Name;
            }
        }

        return result;
    }

    private static bool InSubnet(string ip, string subnet)
        => System.Net.IPNetwork.TryParse(subnet, out var net) && System.Net.IPAddress.TryParse(ip, out var a) && net.Contains(a);
}
