using System.Text.Json;
using Contiv.Testing;

namespace Contiv.Cni.Tests.EndToEnd;

/// <summary>
/// contiv-cni's ADD result against a real agent, read with libcni's rules for every supported
/// version: the sandbox interface carries the MAC (and, in 1.1.0, the MTU) that the pod's namespace
/// really has, every IP points at it, gateways and routes parse, DNS of the configuration passes through.
/// </summary>
public sealed class ResultRulesTests(AgentNode node) : IClassFixture<AgentNode>
{
    /// <summary>Every version contiv-cni speaks.</summary>
    public static TheoryData<string> Versions => [.. Contiv.Cni.Protocol.CniVersions.Supported];

    [RootTheory]
    [MemberData(nameof(Versions))]
    public void Add_result_passes_libcni_rules_and_matches_the_pod_interface(string version)
    {
        var tag = version.Replace(".", string.Empty, StringComparison.Ordinal);
        var pod = node.Namespaces.Create("r" + tag);
        var cid = "e2erules" + tag;
        var conf = node.Conf(version, "\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"search\":[\"default.svc.cluster.local\"],\"options\":[\"ndots:5\"]}");
        try
        {
            var result = node.Cni("ADD", pod, cid, "rules" + tag, conf).Ok().Json;

            Assert.Empty(LibcniResultRules.Problems(result, version));
            var eth0 = LibcniResultRules.InterfaceOf(result, 0);
            Assert.Equal("eth0", eth0.GetProperty("name").GetString());
            Assert.Equal($"/run/netns/{pod}", eth0.GetProperty("sandbox").GetString());
            var live = LiveLink(pod, "eth0");
            Assert.True(eth0.TryGetProperty("mac", out var mac), $"eth0 has no mac in the {version} result: {result}");
            Assert.Equal(live.GetProperty("address").GetString(), mac.GetString());
            Assert.Equal(version == "1.1.0", eth0.TryGetProperty("mtu", out var mtu));
            if (version == "1.1.0")
            {
                Assert.Equal(live.GetProperty("mtu").GetInt32(), mtu.GetInt32());
            }

            var dns = result.GetProperty("dns");
            Assert.Equal("10.96.0.10", dns.GetProperty("nameservers")[0].GetString());
            Assert.Equal("default.svc.cluster.local", dns.GetProperty("search")[0].GetString());
            Assert.Equal("ndots:5", dns.GetProperty("options")[0].GetString());

            // CHECK compares that MAC with the live interface: as printed it passes, another one fails.
            if (version is not ("0.3.0" or "0.3.1"))
            {
                node.Cni("CHECK", pod, cid, "rules" + tag, AgentEndToEndTests.WithPrev(conf, result)).Ok();
                var wrong = JsonDocument.Parse(result.GetRawText().Replace(mac.GetString()!, "02:00:00:00:00:01", StringComparison.Ordinal)).RootElement;
                node.Cni("CHECK", pod, cid, "rules" + tag, AgentEndToEndTests.WithPrev(conf, wrong)).Fails(104, "02:00:00:00:00:01", mac.GetString()!);
            }
        }
        finally
        {
            node.Cni("DEL", pod, cid, "rules" + tag, conf).Ok();
        }
    }

    /// <summary><c>ip -j link show</c> of one link in a namespace.</summary>
    internal static JsonElement LiveLink(string ns, string name)
    {
        var json = Shell.Run($"ip -n {ns} -j link show dev {name}").EnsureSuccess($"ip link show {name} in {ns}").StdOut;
        return JsonDocument.Parse(json).RootElement[0].Clone();
    }
}
