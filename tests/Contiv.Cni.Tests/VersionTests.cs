namespace Contiv.Cni.Tests;

/// <summary>VERSION through the built binary.</summary>
public sealed class VersionTests
{
    [Theory]
    [InlineData("{\"cniVersion\":\"1.1.0\"}")]
    [InlineData("{\"cniVersion\":\"0.3.1\"}")]
    [InlineData("")]
    public void Version_lists_every_supported_spec_version(string stdin)
    {
        var json = CniRunner.Run(CniRunner.ContivCni, new Dictionary<string, string?> { ["CNI_COMMAND"] = "VERSION" }, stdin).Ok().Json;

        Assert.Equal("1.1.0", json.GetProperty("cniVersion").GetString());
        var versions = json.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()!).ToList();
        Assert.Equal(new List<string> { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" }, versions);
    }

    [Fact]
    public void Help_describes_the_configuration_keys()
    {
        var r = Contiv.Testing.Shell.Run(CniRunner.ContivCni, ["--help"]);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("grpcServer", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("logFile", r.StdOut, StringComparison.Ordinal);
    }
}
