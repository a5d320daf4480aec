using Contiv.Ksr.Configuration;

namespace Contiv.Ksr.Tests.Configuration;

public sealed class KsrSettingsTests
{
    [Fact]
    public void Yaml_file_then_environment_override_the_defaults()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """
                etcd-endpoints:
                  - http://10.0.0.1:32379
                  - http://10.0.0.2:32379
                master: http://127.0.0.1:8080
                election: false
                endpoints-source: endpointslices
                writers: 4
                """);
            var settings = new KsrSettings();
            settings.ApplyYamlFile(file);
            Assert.Equal(["http://10.0.0.1:32379", "http://10.0.0.2:32379"], settings.EtcdEndpoints);
            Assert.Equal("http://127.0.0.1:8080", settings.Master);
            Assert.False(settings.Election);
            Assert.Equal(EndpointsSource.EndpointSlices, settings.EndpointsSource);
            Assert.Equal(4, settings.WritersPerReflector);

            settings.ApplyEnvironment(new Dictionary<string, string?> { ["CONTIV_KSR_ETCD_ENDPOINTS"] = "http://a:1,http://b:2", ["CONTIV_KSR_WRITERS"] = "8", ["OTHER"] = "x" });
            Assert.Equal(["http://a:1", "http://b:2"], settings.EtcdEndpoints);
            Assert.Equal(8, settings.WritersPerReflector);
            Assert.Equal("http://127.0.0.1:8080", settings.Master);
            settings.Validate();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Unknown_key_and_bad_value_name_the_source_key_and_value()
    {
        var settings = new KsrSettings();
        var unknown = Assert.Throws<ArgumentException>(() => settings.Set("etcd-endpoint", ["x"], "--etcd-endpoint"));
        Assert.Contains("etcd-endpoint", unknown.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<ArgumentException>(() => settings.Set("election-ttl", ["soon"], "environment variable CONTIV_KSR_ELECTION_TTL"));
        Assert.Contains("CONTIV_KSR_ELECTION_TTL", bad.Message, StringComparison.Ordinal);
        Assert.Contains("soon", bad.Message, StringComparison.Ordinal);
        settings.WritersPerReflector = 0;
        Assert.Contains("writers", Assert.Throws<ArgumentException>(settings.Validate).Message, StringComparison.Ordinal);
    }
}
