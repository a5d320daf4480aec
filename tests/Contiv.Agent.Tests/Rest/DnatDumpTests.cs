using System.Text.Json.Nodes;
using Contiv.Agent.Rest;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Tests.Rest;

/// <summary><c>/dump/vpp/v2/nat/dnat</c>: the data plane's mappings in vpp-agent's DNat44 shape.</summary>
public class DnatDumpTests
{
    [Fact]
    public void Mappings_are_grouped_by_label_in_vpp_agents_dnat_shape()
    {
        var dump = new DumpReply();
        var web = new Nat44StaticMapping { ExternalIp = "10.96.0.10", ExternalPort = 80, Protocol = Nat44Protocol.Tcp, TwiceNat = Nat44TwiceNat.Self, SessionAffinity = 600, Tag = "default/web", Out2InOnly = true };
        web.Locals.Add(new Nat44LocalEndpoint { IpAddress = "10.1.1.2", Port = 8080, VrfId = 1, Probability = 2 });
        web.Locals.Add(new Nat44LocalEndpoint { IpAddress = "10.1.2.7", Port = 8080, VrfId = 1, Probability = 1 });
        dump.Nat44StaticMappings.Add(web);
        dump.Nat44StaticMappings.Add(new Nat44StaticMapping { ExternalIp = "10.96.0.53", ExternalPort = 53, Protocol = Nat44Protocol.Udp, Tag = "kube-system/dns" });
        dump.Nat44IdentityMappings.Add(new Nat44IdentityMapping { IpAddress = "192.168.16.1", Protocol = Nat44Protocol.Udp, Port = 4789, Tag = "DNAT-identities" });
        dump.Nat44IdentityMappings.Add(new Nat44IdentityMapping { IpAddress = "192.168.16.1", AddrOnly = true, VrfId = 1, Tag = "DNAT-identities" });

        var json = DnatDump.From(dump);

        Assert.Equal(["DNAT-identities", "default/web", "kube-system/dns"], json.Select(d => (string?)d!["label"]));
        var sm = json[1]!["st_mappings"]!.AsArray().Single()!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"external_ip":"10.96.0.10","external_port":80,"twice_nat":2,"session_affinity":600,
             "local_ips":[{"vrf_id":1,"local_ip":"10.1.1.2","local_port":8080,"probability":2},{"vrf_id":1,"local_ip":"10.1.2.7","local_port":8080,"probability":1}]}
            """), sm), sm.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"external_ip":"10.96.0.53","external_port":53,"protocol":1}"""), json[2]!["st_mappings"]![0]), json[2]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"ip_address":"192.168.16.1","port":4789,"protocol":1},{"vrf_id":1,"ip_address":"192.168.16.1"}]"""), json[0]!["id_mappings"]), json[0]!.ToJsonString());
        Assert.Null(json[0]!["st_mappings"]);
    }

    [Fact]
    public void A_data_plane_without_mappings_gives_an_empty_list()
        => Assert.Empty(DnatDump.From(new DumpReply()));
}
