using Contiv.Testing;

namespace Contiv.Cni.Tests;

/// <summary>
/// Every malformed input a runtime or a broken node can hand the binary gives the spec's error
/// code and a message naming the culprit; nothing is allocated on the way.
/// </summary>
public sealed class BadInputTests
{
    private const string MissingSocket = "/run/contiv-cni-test-no-such.sock";
    private static readonly string Valid = NetConf.For("1.0.0", MissingSocket);

    [Fact]
    public void Empty_stdin_is_a_decoding_failure()
        => CniRunner.Contiv("ADD", string.Empty).Fails(6, "stdin is empty");

    [Theory]
    [InlineData("{\"cniVersion\": ")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Invalid_json_is_a_decoding_failure(string stdin)
        => CniRunner.Contiv("ADD", stdin).Fails(6, "stdin");

    [Theory]
    [InlineData("0.2.0")]
    [InlineData("2.0.0")]
    [InlineData("banana")]
    public void Unknown_cniVersion_is_incompatible(string version)
    {
        var r = CniRunner.Contiv("ADD", NetConf.For(version, MissingSocket));

        r.Fails(1, $"\"{version}\"", "1.1.0");
    }

    [Fact]
    public void Missing_cniVersion_is_incompatible()
        => CniRunner.Contiv("ADD", "{\"name\":\"n\",\"type\":\"contiv-cni\",\"grpcServer\":\"/x\"}").Fails(1, "cniVersion is missing");

    [Fact]
    public void Missing_CNI_COMMAND_is_named()
    {
        var r = CniRunner.Run(CniRunner.ContivCni, new Dictionary<string, string?> { ["CNI_CONTAINERID"] = "abc" }, Valid);

        r.Fails(4, "CNI_COMMAND");
    }

    [Fact]
    public void Unknown_CNI_COMMAND_is_named_with_its_value()
        => CniRunner.Contiv("UPDATE", Valid).Fails(4, "CNI_COMMAND=\"UPDATE\"");

    [Theory]
    [InlineData("ADD", "CNI_CONTAINERID")]
    [InlineData("ADD", "CNI_IFNAME")]
    [InlineData("ADD", "CNI_NETNS")]
    [InlineData("CHECK", "CNI_CONTAINERID")]
    [InlineData("DEL", "CNI_CONTAINERID")]
    [InlineData("DEL", "CNI_IFNAME")]
    [InlineData("GC", "CNI_PATH")]
    public void Missing_required_variable_is_named(string command, string variable)
    {
        var vars = new Dictionary<string, string?>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = "abc",
            ["CNI_NETNS"] = "/run/netns/x",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/usr/lib/cni",
        };
        vars[variable] = null;

        CniRunner.Run(CniRunner.ContivCni, vars, NetConf.For("1.1.0", MissingSocket)).Fails(4, variable, command);
    }

    [Fact]
    public void Several_missing_variables_are_all_named()
    {
        var r = CniRunner.Run(CniRunner.ContivCni, new Dictionary<string, string?> { ["CNI_COMMAND"] = "ADD" }, Valid);

        r.Fails(4, "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME");
    }

    [Theory]
    [InlineData("-leading-dash")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    public void Invalid_container_id_is_named(string id)
        => CniRunner.Contiv("ADD", Valid, containerId: id).Fails(4, "CNI_CONTAINERID", id);

    [Theory]
    [InlineData("a-very-long-interface-name")]
    [InlineData("eth/0")]
    [InlineData("..")]
    public void Invalid_interface_name_is_named(string ifName)
        => CniRunner.Contiv("ADD", Valid, ifName: ifName).Fails(4, "CNI_IFNAME", ifName);

    [Theory]
    [InlineData("grpcServer")]
    [InlineData("name")]
    [InlineData("type")]
    public void Missing_required_config_field_is_named(string field)
    {
        var conf = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        conf.Remove(field);

        CniRunner.Contiv("ADD", conf.ToJsonString()).Fails(7, field);
    }

    [Theory]
    [InlineData("https://127.0.0.1:9999/readiness")]
    [InlineData("ftp://127.0.0.1/readiness")]
    [InlineData("not a url")]
    public void Readiness_url_must_be_plain_http(string url)
        => CniRunner.Contiv("STATUS", NetConf.For("1.1.0", MissingSocket, extra: $"\"readinessUrl\":\"{url}\""), containerId: string.Empty, netns: null, ifName: string.Empty)
            .Fails(7, "readinessUrl", url);

    [Fact]
    public void Mistyped_config_field_is_named_with_its_value()
        => CniRunner.Contiv("ADD", NetConf.For("1.0.0", MissingSocket, extra: "\"ipam\":{\"type\":42}")).Fails(7, "ipam.type", "42");

    [Fact]
    public void Malformed_prevResult_is_a_decoding_failure_naming_the_field()
    {
        var conf = NetConf.For("1.0.0", MissingSocket, extra: "\"prevResult\":{\"ips\":[{\"address\":\"10.1.1.300/32\"}]}");

        CniRunner.Contiv("ADD", conf).Fails(6, "prevResult", "ips[0].address", "10.1.1.300/32");
    }

    [Fact]
    public void Netns_that_does_not_exist_means_unknown_container()
        => CniRunner.Contiv("ADD", Valid, netns: "/run/netns/contiv-cni-test-none").Fails(3, "CNI_NETNS=/run/netns/contiv-cni-test-none");

    [Theory]
    [InlineData("CHECK", "0.3.1", "0.4.0")]
    [InlineData("STATUS", "1.0.0", "1.1.0")]
    [InlineData("GC", "1.0.0", "1.1.0")]
    public void Command_newer_than_the_requested_version_is_incompatible(string command, string version, string needed)
        => CniRunner.Contiv(command, NetConf.For(version, MissingSocket)).Fails(1, command, needed, version);

    [Fact]
    public void Error_result_carries_the_requested_version()
    {
        var r = CniRunner.Contiv("ADD", NetConf.For("0.3.1", MissingSocket), netns: "/run/netns/contiv-cni-test-none");

        Assert.Equal("0.3.1", r.Json.GetProperty("cniVersion").GetString());
    }

    [Fact]
    public void Status_fails_with_50_when_the_agent_socket_is_missing()
        => CniRunner.Contiv("STATUS", NetConf.For("1.1.0", MissingSocket)).Fails(50, MissingSocket);

    [Fact]
    public void Status_fails_with_50_when_nothing_listens_on_the_socket()
    {
        using var dir = new TempDir();
        var path = dir["stale.sock"];
        using (var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            s.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path)); // socket file stays, nobody listens
        }

        CniRunner.Contiv("STATUS", NetConf.For("1.1.0", path)).Fails(50, path);
    }

    [Fact]
    public void Tcp_agent_address_that_refuses_connections_is_try_again_later()
    {
        using var dir = new TempDir();
        var conf = NetConf.For("1.0.0", "127.0.0.1:9", dataDir: dir["state"]);
        new Contiv.Cni.State.AttachmentStore(dir["state"]).Save(new("c0ffee01", "eth0", "/run/netns/none", string.Empty, conf));

        CniRunner.Contiv("DEL", conf).Fails(11, "127.0.0.1:9");
    }

    [Fact]
    public void Unusable_grpcServer_is_an_invalid_config()
        => CniRunner.Contiv("DEL", NetConf.For("1.0.0", "no port here:x")).Fails(7, "grpcServer", "no port here:x");

    [Fact]
    public void Del_reports_a_missing_agent_as_try_again_later_when_the_attachment_was_recorded()
    {
        using var dir = new TempDir();
        new Contiv.Cni.State.AttachmentStore(dir["state"]).Save(new("c0ffee01", "eth0", "/run/netns/none", string.Empty, Valid));

        CniRunner.Contiv("DEL", NetConf.For("1.0.0", MissingSocket, dataDir: dir["state"])).Fails(11, MissingSocket);
        Assert.True(File.Exists(dir["state/c0ffee01@eth0.json"]), "the record must stay for the retry");
    }

    [RootFact]
    public void Add_without_agent_fails_with_11_and_releases_the_ipam_allocation()
    {
        using var scope = new NetnsScope();
        using var dir = new TempDir();
        var ns = scope.Create("pod");
        var ipamDir = dir["ipam"];
        var conf = NetConf.For("1.0.0", MissingSocket, dataDir: dir["state"], extra:
            $"\"ipam\":{{\"type\":\"host-local\",\"dataDir\":\"{ipamDir}\",\"ranges\":[[{{\"subnet\":\"10.99.7.0/24\"}}]]}}");

        var r = CniRunner.Contiv("ADD", conf, netns: $"/run/netns/{ns}");

        r.Fails(11, MissingSocket);
        var reserved = Directory.Exists(ipamDir)
            ? Directory.EnumerateFiles(ipamDir, "10.99.7.*", SearchOption.AllDirectories).ToList()
            : [];
        Assert.Empty(reserved);
        Assert.True(Directory.Exists(ipamDir), "host-local never ran: the test proves nothing");
        Assert.Empty(Directory.Exists(dir["state"]) ? Directory.GetFiles(dir["state"]) : []);
    }

    [RootFact]
    public void Add_with_unknown_ipam_plugin_names_it_and_allocates_nothing()
    {
        using var scope = new NetnsScope();
        using var dir = new TempDir();
        var ns = scope.Create("pod");
        var conf = NetConf.For("1.0.0", MissingSocket, dataDir: dir["state"], extra: "\"ipam\":{\"type\":\"no-such-ipam\"}");

        CniRunner.Contiv("ADD", conf, netns: $"/run/netns/{ns}").Fails(7, "ipam.type", "no-such-ipam", "/usr/lib/cni");
    }
}
