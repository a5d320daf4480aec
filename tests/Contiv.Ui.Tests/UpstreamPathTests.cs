using Contiv.Ui.Config;
using Contiv.Ui.Proxy;

namespace Contiv.Ui.Tests;

/// <summary>What a proxied path may be, and the config file.</summary>
public sealed class UpstreamPathTests
{
    [Theory]
    [InlineData("api/v1/pods")]
    [InlineData("dump/vpp/v2/interfaces/vxlan")]
    [InlineData("apis/networking.k8s.io/v1/networkpolicies")]
    public void Ordinary_paths_pass(string path) => Assert.Null(UpstreamPath.Check(path));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("http://10.0.0.1/x")]
    [InlineData("a/../b")]
    [InlineData("a/%2E%2E/b")]
    [InlineData("./a")]
    [InlineData("a%2fb")]
    [InlineData("a\\b")]
    [InlineData("a\nb")]
    public void Escaping_paths_are_refused(string? path) => Assert.NotNull(UpstreamPath.Check(path));

    [Fact]
    public void The_config_reads_the_original_keys_and_ours()
    {
        var c = UiConfig.Parse("""
            port: 9600
            basicAuth: {admin: pw}
            contivHTTPSEnabled: true
            contivBasicAuthUser: contiv
            contivBasicAuthPass: x
            contivInsecureSkipVerify: true
            contivPort: 9998
            contivCRDPort: 9091
            crdEndpoint: http://127.0.0.1:9090
            upstreamTimeout: 500ms
            vswitchEndpoints: {"192.168.56.1": "https://127.0.0.1:9991"}
            """, "test.yaml");

        Assert.Equal(9600, c.Port);
        Assert.Equal("pw", c.BasicAuth["admin"]);
        Assert.True(c.ContivHttpsEnabled);
        Assert.True(c.ContivInsecureSkipVerify);
        Assert.Equal(9998, c.ContivPort);
        Assert.Equal(9091, c.ContivCrdPort);
        Assert.Equal("http://127.0.0.1:9090", c.CrdEndpoint);
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.UpstreamTimeout);
        Assert.Equal("https://127.0.0.1:9991", c.VswitchEndpoints["192.168.56.1"]);
        Assert.Equal(9500, UiConfig.Parse("{}", "x").Port);
    }

    [Theory]
    [InlineData("port: 70000", "port 70000")]
    [InlineData("serverCrt: /a.pem", "serverCrt and serverKey go together")]
    [InlineData("vswitchEndpoints: {node1: 'http://x'}", "vswitchEndpoints 'node1'")]
    [InlineData("contivCRDPort: 0", "contivCRDPort 0")]
    [InlineData("crdEndpoint: 127.0.0.1:9090", "crdEndpoint '127.0.0.1:9090' must be an http(s) URL")]
    [InlineData("upstreamTimeout: soon", "'soon' is not a duration")]
    public void Bad_config_names_the_key_and_value(string yaml, string message)
        => Assert.Contains(message, Assert.Throws<ArgumentException>(() => UiConfig.Parse(yaml, "ui.yaml")).Message, StringComparison.Ordinal);
}
