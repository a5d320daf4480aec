using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Testing;

namespace Contiv.Cni.Tests.EndToEnd;

/// <summary>
/// The built contiv-cni against a running contiv-agent and contiv-vpp: what kubelet sees.
/// </summary>
public sealed class AgentEndToEndTests(AgentNode node) : IClassFixture<AgentNode>
{
    internal static string WithPrev(string conf, JsonElement result)
    {
        var o = JsonNode.Parse(conf)!.AsObject();
        o["prevResult"] = JsonNode.Parse(result.GetRawText());
        return o.ToJsonString();
    }

    [RootFact]
    public void Add_gives_eth0_the_result_address_and_connectivity_then_check_and_repeated_del()
    {
        var pod = node.Namespaces.Create("web1");
        var result = node.Cni("ADD", pod, "e2eweb0001", "web1").Ok().Json;

        var ip = result.GetProperty("ips")[0];
        var address = ip.GetProperty("address").GetString()!;
        var gateway = ip.GetProperty("gateway").GetString()!;
        Assert.Equal("eth0", result.GetProperty("interfaces")[0].GetProperty("name").GetString());
        Assert.Equal($"/run/netns/{pod}", result.GetProperty("interfaces")[0].GetProperty("sandbox").GetString());
        Assert.Contains(address, Shell.Run($"ip -n {pod} -4 addr show dev eth0").StdOut, StringComparison.Ordinal);
        Assert.True(NetnsScope.Ping(pod, gateway, count: 2), $"pod cannot ping its gateway {gateway}; agent log:\n{node.Tail("agent.log")}");

        var check = WithPrev(node.Conf(), result);
        node.Cni("CHECK", pod, "e2eweb0001", "web1", check).Ok();
        Shell.Ip($"-n {pod} addr del {address} dev eth0");
        node.Cni("CHECK", pod, "e2eweb0001", "web1", check).Fails(104, address);

        node.Cni("DEL", pod, "e2eweb0001", "web1", check).Ok();
        node.Cni("DEL", pod, "e2eweb0001", "web1", check).Ok();
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} link").StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(node.CniDataDir, "e2eweb0001@eth0.json")));
    }

    [RootTheory]
    [InlineData("0.3.0")]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    [InlineData("1.1.0")]
    public void Result_has_the_shape_of_the_requested_version(string version)
    {
        var pod = node.Namespaces.Create("v" + version.Replace(".", string.Empty, StringComparison.Ordinal));
        var cid = "e2ever" + version.Replace(".", string.Empty, StringComparison.Ordinal);
        try
        {
            var json = node.Cni("ADD", pod, cid, "ver" + cid, node.Conf(version)).Ok().Json;

            Assert.Equal(version, json.GetProperty("cniVersion").GetString());
            var ip = json.GetProperty("ips")[0];
            Assert.Equal(version.StartsWith("0.", StringComparison.Ordinal), ip.TryGetProperty("version", out var v));
            if (version.StartsWith("0.", StringComparison.Ordinal))
            {
                Assert.Equal("4", v.GetString());
            }

            Assert.Equal(0, ip.GetProperty("interface").GetInt32());
            Assert.EndsWith("/32", ip.GetProperty("address").GetString(), StringComparison.Ordinal);
            Assert.Equal("0.0.0.0/0", json.GetProperty("routes")[0].GetProperty("dst").GetString());
        }
        finally
        {
            node.Cni("DEL", pod, cid, "ver" + cid, node.Conf(version)).Ok();
        }
    }

    [RootFact]
    public void Add_later_in_a_chain_passes_prevResult_through_and_appends_its_own()
    {
        var pod = node.Namespaces.Create("chained");
        var conf = node.Conf("1.0.0", $$$"""
            "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"lo","mac":"00:00:00:00:00:00","sandbox":"/run/netns/{{{pod}}}"}],
              "ips":[{"interface":0,"address":"127.0.0.1/8"}],"dns":{"nameservers":["10.96.0.10"]}}
            """);

        var json = node.Cni("ADD", pod, "e2eprev001", "chained", conf).Ok().Json;

        Assert.Equal("lo", json.GetProperty("interfaces")[0].GetProperty("name").GetString());
        Assert.Equal("eth0", json.GetProperty("interfaces")[1].GetProperty("name").GetString());
        Assert.Equal("127.0.0.1/8", json.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Equal(1, json.GetProperty("ips")[1].GetProperty("interface").GetInt32());
        Assert.Equal("10.96.0.10", json.GetProperty("dns").GetProperty("nameservers")[0].GetString());
        node.Cni("DEL", pod, "e2eprev001", "chained", conf).Ok();
    }

    [RootFact]
    public void Gc_releases_an_attachment_the_runtime_no_longer_lists()
    {
        // A private dataDir: GC acts on every record in it.
        var dataDir = node.Dir["gc-records"];
        var conf = node.Conf(dataDir: dataDir);
        var leaked = node.Namespaces.Create("leak");
        var kept = node.Namespaces.Create("kept");
        node.Cni("ADD", leaked, "e2egcleak1", "leak", conf).Ok();
        var keptResult = node.Cni("ADD", kept, "e2egckept1", "kept", conf).Ok().Json;

        var gc = node.Conf("1.1.0", "\"cni.dev/valid-attachments\":[{\"containerID\":\"e2egckept1\",\"ifname\":\"eth0\"}]", dataDir);
        CniRunner.Contiv("GC", gc, containerId: string.Empty, netns: null).Ok();

        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {leaked} link").StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dataDir, "e2egcleak1@eth0.json")));
        Assert.True(File.Exists(Path.Combine(dataDir, "e2egckept1@eth0.json")));
        Assert.True(NetnsScope.Ping(kept, keptResult.GetProperty("ips")[0].GetProperty("gateway").GetString()!, count: 1));
        node.Cni("DEL", kept, "e2egckept1", "kept", conf).Ok();
    }

    [RootFact]
    public void Add_fails_when_the_interface_already_exists_and_the_runtime_del_cleans_up()
    {
        var pod = node.Namespaces.Create("clash");
        var peer = node.Namespaces.Create("clashpeer");
        node.Namespaces.Veth("eth0", pod, "peer0", peer);
        var before = Shell.Run($"ip -n {pod} -br addr show dev eth0").StdOut;

        var r = node.Cni("ADD", pod, "e2eclash01", "clash");

        Assert.NotEqual(0, r.ExitCode);
        Assert.True(r.Code >= 100, $"expected an agent error code, got {r.Code}: {r.Msg}");
        Assert.Equal(before, Shell.Run($"ip -n {pod} -br addr show dev eth0").StdOut);
        node.Cni("DEL", pod, "e2eclash01", "clash").Ok();
        Assert.False(File.Exists(Path.Combine(node.CniDataDir, "e2eclash01@eth0.json")));
    }

    [RootFact]
    public void Gc_also_releases_the_ipam_reservation_of_a_leaked_attachment()
    {
        var pod = node.Namespaces.Create("gcipam");
        var ipamDir = node.Dir["host-local-gc"];
        var ipam = $$"""
            "ipam":{"type":"host-local","dataDir":"{{ipamDir}}","ranges":[[{"subnet":"10.1.1.0/24","rangeStart":"10.1.1.230","rangeEnd":"10.1.1.240"}]]}
            """;
        var dataDir = node.Dir["gc-ipam-records"];
        node.Cni("ADD", pod, "e2egcipam1", "gcipam", node.Conf("1.0.0", ipam, dataDir)).Ok();
        Assert.Single(Directory.GetFiles(Path.Combine(ipamDir, "k8s-pod-network"), "10.1.1.*"));

        var gc = node.Conf("1.1.0", "\"cni.dev/valid-attachments\":[]", dataDir);
        CniRunner.Contiv("GC", gc, containerId: string.Empty, netns: null).Ok();

        Assert.Empty(Directory.GetFiles(Path.Combine(ipamDir, "k8s-pod-network"), "10.1.1.*"));
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} link").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void Status_succeeds_while_the_agent_serves_and_reports_ready()
    {
        CniRunner.Contiv("STATUS", node.Conf("1.1.0"), containerId: string.Empty, netns: null, ifName: string.Empty).Ok();
        var ready = node.Conf("1.1.0", $"\"readinessUrl\":\"http://127.0.0.1:{node.RestPort}/readiness\"");
        CniRunner.Contiv("STATUS", ready, containerId: string.Empty, netns: null, ifName: string.Empty).Ok();
    }

    [RootFact]
    public void Status_fails_with_50_when_the_readiness_probe_does_not_answer_200()
    {
        var notFound = node.Conf("1.1.0", $"\"readinessUrl\":\"http://127.0.0.1:{node.RestPort}/no-such-probe\"");
        CniRunner.Contiv("STATUS", notFound, containerId: string.Empty, netns: null, ifName: string.Empty).Fails(50, "not ready", "404");

        var closed = node.Conf("1.1.0", "\"readinessUrl\":\"http://127.0.0.1:9/readiness\"");
        CniRunner.Contiv("STATUS", closed, containerId: string.Empty, netns: null, ifName: string.Empty).Fails(50, "127.0.0.1:9");

        // Something listens on the probe's port but does not speak HTTP.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(() =>
        {
            using var client = listener.AcceptTcpClient();
            client.GetStream().Write("SSH-2.0-OpenSSH_9\r\n"u8);
            Thread.Sleep(300);
        });
        var garbage = node.Conf("1.1.0", $"\"readinessUrl\":\"http://127.0.0.1:{port}/readiness\"");
        CniRunner.Contiv("STATUS", garbage, containerId: string.Empty, netns: null, ifName: string.Empty).Fails(50, "not an HTTP status line", "SSH-2.0");
        Assert.True(server.Wait(TimeSpan.FromSeconds(5)), "the fake probe server never saw the request");
    }

    [RootFact]
    public void Del_succeeds_when_the_namespace_is_already_gone()
    {
        var pod = node.Namespaces.Create("gone");
        node.Cni("ADD", pod, "e2egone001", "gone").Ok();
        Shell.Run($"ip netns del {pod}");

        node.Cni("DEL", pod, "e2egone001", "gone").Ok();
        node.Cni("DEL", pod, "e2egone001", "gone").Ok();
    }

    [RootFact]
    public void External_ipam_allocation_is_passed_on_and_released_on_del()
    {
        var pod = node.Namespaces.Create("ipam");
        var ipamDir = node.Dir["host-local"];
        var conf = node.Conf("1.0.0", $$"""
            "ipam":{"type":"host-local","dataDir":"{{ipamDir}}","ranges":[[{"subnet":"10.1.1.0/24","rangeStart":"10.1.1.200","rangeEnd":"10.1.1.250"}]]}
            """);

        node.Cni("ADD", pod, "e2eipam001", "ipam", conf).Ok();
        Assert.Single(Directory.GetFiles(Path.Combine(ipamDir, "k8s-pod-network"), "10.1.1.*"));

        node.Cni("DEL", pod, "e2eipam001", "ipam", conf).Ok();
        Assert.Empty(Directory.GetFiles(Path.Combine(ipamDir, "k8s-pod-network"), "10.1.1.*"));
    }
}
