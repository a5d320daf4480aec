using System.Text.Json;
using Contiv.Cni.Agent;
using Contiv.Cni.Protocol;
using Contiv.Model.Cni;

namespace Contiv.Cni.Tests;

/// <summary>
/// The agent's reply (SPEC §1.7: one interface eth0 in the pod's netns, podIP/32 via the pod
/// gateway, a default route) printed in the shape of every supported spec version.
/// </summary>
public sealed class ResultShapeTests
{
    private const string Netns = "/var/run/netns/pod1";

    private static CNIReply AgentReply(bool ipv6 = false)
    {
        var iface = new CNIReply.Types.Interface { Name = "eth0", Sandbox = Netns, Mac = "02:fe:12:34:56:78" };
        iface.IpAddresses.Add(new CNIReply.Types.Interface.Types.IP
        {
            Version = ipv6 ? CNIReply.Types.Interface.Types.IP.Types.Version.Ipv6 : CNIReply.Types.Interface.Types.IP.Types.Version.Ipv4,
            Address = ipv6 ? "fd00:1::5/128" : "10.1.1.5/32",
            Gateway = ipv6 ? "fd00:1::1" : "10.1.1.1",
        });
        var reply = new CNIReply { Result = 0 };
        reply.Interfaces.Add(iface);
        reply.Routes.Add(new CNIReply.Types.Route { Dst = ipv6 ? "::/0" : "0.0.0.0/0", Gw = ipv6 ? "fd00:1::1" : "10.1.1.1" });
        return reply;
    }

    private static JsonElement Print(CniResult result, string version)
    {
        using var doc = JsonDocument.Parse(result.ToJson(version));
        return doc.RootElement.Clone();
    }

    [Theory]
    [InlineData("0.3.0")]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    public void Pre_1_0_results_carry_ip_version(string version)
    {
        var json = Print(ReplyTranslation.ToResult(AgentReply()), version);

        Assert.Equal(version, json.GetProperty("cniVersion").GetString());
        var ip = json.GetProperty("ips")[0];
        Assert.Equal("4", ip.GetProperty("version").GetString());
        Assert.Equal("10.1.1.5/32", ip.GetProperty("address").GetString());
        Assert.Equal("10.1.1.1", ip.GetProperty("gateway").GetString());
        Assert.Equal(0, ip.GetProperty("interface").GetInt32());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("1.1.0")]
    public void Results_from_1_0_have_no_ip_version(string version)
    {
        var json = Print(ReplyTranslation.ToResult(AgentReply()), version);

        Assert.Equal(version, json.GetProperty("cniVersion").GetString());
        var ip = json.GetProperty("ips")[0];
        Assert.False(ip.TryGetProperty("version", out _));
        Assert.Equal(0, ip.GetProperty("interface").GetInt32());
    }

    [Theory]
    [InlineData("0.3.0")]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    [InlineData("1.1.0")]
    public void Every_version_has_interface_route_and_dns(string version)
    {
        var json = Print(ReplyTranslation.ToResult(AgentReply()), version);

        var iface = json.GetProperty("interfaces")[0];
        Assert.Equal("eth0", iface.GetProperty("name").GetString());
        Assert.Equal(Netns, iface.GetProperty("sandbox").GetString());
        Assert.Equal("02:fe:12:34:56:78", iface.GetProperty("mac").GetString());
        var route = json.GetProperty("routes")[0];
        Assert.Equal("0.0.0.0/0", route.GetProperty("dst").GetString());
        Assert.Equal("10.1.1.1", route.GetProperty("gw").GetString());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("dns").ValueKind);
    }

    [Fact]
    public void Ipv6_address_is_version_6_in_0_3()
    {
        var json = Print(ReplyTranslation.ToResult(AgentReply(ipv6: true)), "0.3.1");

        Assert.Equal("6", json.GetProperty("ips")[0].GetProperty("version").GetString());
        Assert.Equal("::/0", json.GetProperty("routes")[0].GetProperty("dst").GetString());
    }

    [Fact]
    public void Only_1_1_prints_interface_mtu_and_route_extras()
    {
        var result = new CniResult();
        result.Interfaces.Add(new CniInterface("eth0", Mtu: 1450, Sandbox: Netns, SocketPath: "/run/x.sock"));
        result.Routes.Add(new CniRoute("0.0.0.0/0", "10.1.1.1", Mtu: 1400, Priority: 10, Table: 100, Scope: 0));

        var v11 = Print(result, "1.1.0");
        var v10 = Print(result, "1.0.0");

        Assert.Equal(1450, v11.GetProperty("interfaces")[0].GetProperty("mtu").GetInt32());
        Assert.Equal("/run/x.sock", v11.GetProperty("interfaces")[0].GetProperty("socketPath").GetString());
        Assert.Equal(100, v11.GetProperty("routes")[0].GetProperty("table").GetInt32());
        Assert.False(v10.GetProperty("interfaces")[0].TryGetProperty("mtu", out _));
        Assert.False(v10.GetProperty("routes")[0].TryGetProperty("table", out _));
    }

    [Fact]
    public void Last_dns_entry_of_the_reply_wins()
    {
        var reply = AgentReply();
        reply.Dns.Add(new CNIReply.Types.DNS { Domain = "first.local", Nameservers = { "10.96.0.9" } });
        reply.Dns.Add(new CNIReply.Types.DNS { Domain = "cluster.local", Nameservers = { "10.96.0.10" }, Search = { "default.svc.cluster.local" } });

        var dns = Print(ReplyTranslation.ToResult(reply), "1.0.0").GetProperty("dns");

        Assert.Equal("cluster.local", dns.GetProperty("domain").GetString());
        Assert.Equal("10.96.0.10", dns.GetProperty("nameservers")[0].GetString());
        Assert.Equal("default.svc.cluster.local", dns.GetProperty("search")[0].GetString());
    }

    [Fact]
    public void Failure_reply_is_error_101_with_the_agent_text()
    {
        var e = Assert.Throws<CniException>(() => ReplyTranslation.ToResult(new CNIReply { Result = 1, Error = "no free IP in 10.1.1.0/24" }));

        Assert.Equal(101, e.Code);
        Assert.Contains("no free IP in 10.1.1.0/24", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reply_address_without_prefix_is_error_102()
    {
        var reply = AgentReply();
        reply.Interfaces[0].IpAddresses[0].Address = "10.1.1.5";

        var e = Assert.Throws<CniException>(() => ReplyTranslation.ToResult(reply));

        Assert.Equal(102, e.Code);
        Assert.Contains("10.1.1.5", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.3.1")]
    [InlineData("1.0.0")]
    public void Printed_result_parses_back_to_the_same_result(string version)
    {
        var original = ReplyTranslation.ToResult(AgentReply());

        using var doc = JsonDocument.Parse(original.ToJson(version));
        var parsed = CniResult.Parse(doc.RootElement, "result");

        Assert.Equal(original.Interfaces, parsed.Interfaces);
        Assert.Equal(original.Ips, parsed.Ips);
        Assert.Equal(original.Routes, parsed.Routes);
    }

    [Fact]
    public void Result_after_prevResult_keeps_earlier_interfaces_and_shifts_indexes()
    {
        using var doc = JsonDocument.Parse("""
            {"cniVersion":"1.0.0","interfaces":[{"name":"lo","sandbox":"/var/run/netns/pod1"}],
             "ips":[{"address":"127.0.0.1/8","interface":0}]}
            """);
        var prev = CniResult.Parse(doc.RootElement, "prevResult");

        var json = Print(prev.Concat(ReplyTranslation.ToResult(AgentReply())), "1.0.0");

        Assert.Equal("lo", json.GetProperty("interfaces")[0].GetProperty("name").GetString());
        Assert.Equal("eth0", json.GetProperty("interfaces")[1].GetProperty("name").GetString());
        Assert.Equal(0, json.GetProperty("ips")[0].GetProperty("interface").GetInt32());
        Assert.Equal(1, json.GetProperty("ips")[1].GetProperty("interface").GetInt32());
    }

    [Theory]
    [InlineData(null, new string[0], "1.1.0", false)]
    [InlineData("1.0.0", new[] { "0.3.1", "1.1.0" }, "1.1.0", true)]
    [InlineData("2.0.0", new[] { "0.4.0", "1.0.0" }, "1.0.0", true)]
    [InlineData("0.3.1", new string[0], "0.3.1", true)]
    public void Negotiation_picks_the_highest_supported_version(string? cniVersion, string[] cniVersions, string expected, bool ok)
    {
        if (!ok)
        {
            Assert.Equal(1, Assert.Throws<CniException>(() => CniVersions.Negotiate(cniVersion, cniVersions)).Code);
            return;
        }

        Assert.Equal(expected, CniVersions.Negotiate(cniVersion, cniVersions));
    }
}
