using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Contiv.Model;
using Contiv.Model.Vpp;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl.Commands;

/// <summary><c>ipam [node]</c>: each agent's <c>/contiv/v1/ipam</c> and BVI address (SPEC §1.5).</summary>
internal static class IpamCommand
{
    public static Command Create(GlobalOptions global)
    {
        var node = new Argument<string?>("node") { Description = "node name (all nodes when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ipam", "Show IPAM of one node or all: ID, NODE-NAME, VPP-IP, BVI-IP, POD-CIDR, VPP-2-HOST-CIDR, POD-CLUSTER-CIDR (from /contiv/v1/ipam and the vxlanBVI address of the vpp-interface dump).") { node };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(global, parse, ct, async session =>
        {
            var nodes = parse.GetValue(node) is { } name
                ? [await session.NodeAsync(name, ct).ConfigureAwait(false)]
                : (await session.SnapshotAsync(ct).ConfigureAwait(false)).Nodes.Where(n => n.Id != 0).ToList();
            var rows = await Task.WhenAll(nodes.Select(n => RowAsync(session, n, ct))).ConfigureAwait(false);
            var table = TableOutput.New("ID", "NODE-NAME", "VPP-IP", "BVI-IP", "POD-CIDR", "VPP-2-HOST-CIDR", "POD-CLUSTER-CIDR");
            foreach (var r in rows)
            {
                TableOutput.Row(table, r);
            }

            TableOutput.Write(table);
            return 0;
        }));
        return command;
    }

    private static async Task<string[]> RowAsync(NetctlSession session, NodeTelemetry n, CancellationToken ct)
    {
        var ipam = (await NetctlSession.OnNodeAsync(n, url => session.Agents.GetOkAsync(url, "/contiv/v1/ipam", ct)).ConfigureAwait(false)).Deserialize<AgentIpam>(Json)!;
        var dump = await NetctlSession.OnNodeAsync(n, url => session.Agents.GetOkAsync(url, "/scheduler/dump?descriptor=vpp-interface&state=SB", ct)).ConfigureAwait(false);
        var bvi = dump.EnumerateArray().Select(e => ProtoJson.Parse<Interface>(e.GetProperty("Value").GetRawText())).FirstOrDefault(i => i.Name == "vxlanBVI");
        return [ipam.NodeId.ToString(CultureInfo.InvariantCulture), ipam.NodeName, ipam.NodeIp, bvi?.IpAddresses.FirstOrDefault() ?? "-", ipam.PodSubnetThisNode, ipam.VppHostNetwork, ipam.Config.PodSubnetCidr];
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };
}
