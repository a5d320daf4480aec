using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// contiv-crd in the lab (the shared lab <c>e2ec</c>, <see cref="SharedContivLab"/>): the CRDs are served and a
/// NodeConfig reaches its node's agent; deleting it gives the node its contiv.conf settings back (the lab goes on).
/// </summary>
[Collection(SharedContivLabCollection.Name)]
public sealed class CrdLabTests(SharedContivLab shared)
{
    private readonly Lab _lab = shared.Lab;

    [RootFact]
    public void A_NodeConfig_changing_a_nodes_gateway_reaches_that_nodes_agent()
    {
        Assert.True(shared.StartError is null, shared.StartError);
        var passed = false;
        try
        {
            Assert.Contains("nodeconfigs.nodeconfig.contiv.vpp", _lab.Kubectl("get", "crd").EnsureSuccess("kubectl get crd").StdOut, StringComparison.Ordinal);
            Assert.Equal(string.Empty, Gateway("node2"));

            _lab.Apply(NodeConfig("node2", DataIp("node2"), "192.168.16.254"), wait: false);
            WaitFor(() => Gateway("node2") == "192.168.16.254", () => $"node2's agent reports gateway '{Gateway("node2")}'\n{_lab.Diagnostics()}");
            WaitFor(() => Vppctl("node2", "show ip fib").Contains("192.168.16.254", StringComparison.Ordinal), () => Vppctl("node2", "show ip fib"));
            Assert.Equal(string.Empty, Gateway("node1"));
            Assert.Equal("Success", _lab.Kubectl("get", "nodeconfig", "node2", "-o", "jsonpath={.status.status}").StdOut);

            // A change while the agent runs reaches it too.
            _lab.Apply(NodeConfig("node2", DataIp("node2"), "192.168.16.253"), wait: false);
            WaitFor(() => Gateway("node2") == "192.168.16.253", () => $"node2's agent reports gateway '{Gateway("node2")}'\n{_lab.Diagnostics()}");
            passed = true;
        }
        finally
        {
            // Without the NodeConfig, node2's agent restarts on contiv.conf's settings again: no gateway.
            _lab.Kubectl("delete", "nodeconfig", "node2", "--ignore-not-found");
            if (passed)
            {
                WaitFor(() => Gateway("node2") == string.Empty, () => $"node2's agent still reports gateway '{Gateway("node2")}' after its NodeConfig was deleted\n{_lab.Diagnostics()}");
            }
        }
    }

    private static string NodeConfig(string node, string dataIp, string gateway) => $"""
        apiVersion: nodeconfig.contiv.vpp/v1
        kind: NodeConfig
        metadata:
          name: {node}
        spec:
          mainVPPInterface:
            interfaceName: data0
            ip: {dataIp}/24
          gateway: {gateway}
        """;

    private JsonElement Node(string node)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(_lab.StateDir + "/state.json"));
        return state.RootElement.GetProperty("nodes").EnumerateArray().First(n => n.GetProperty("name").GetString() == node).Clone();
    }

    private string DataIp(string node) => Node(node).GetProperty("dataIp").GetString()!;

    // The agent's ipam config as it runs ("" while the agent restarts).
    private string Gateway(string node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var json = http.GetStringAsync(new Uri($"http://127.0.0.1:{Node(node).GetProperty("restPort").GetInt32()}/contiv/v1/ipam")).GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("config").GetProperty("defaultGateway").GetString() ?? string.Empty;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "(agent unreachable)";
        }
    }

    private string Vppctl(string node, string command)
    {
        var args = new List<string> { "-s", $"{_lab.StateDir}/nodes/{node}/vpp-cli.sock" };
        args.AddRange(command.Split(' '));
        return Shell.Run(RepoPaths.Executable("contiv-vppctl"), args, timeout: TimeSpan.FromSeconds(20)).StdOut;
    }

    private static void WaitFor(Func<bool> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return;
            }

            Thread.Sleep(500);
        }

        Assert.Fail(describe());
    }
}
