using System.Text.Json;
using Contiv.Testing;

namespace Contiv.Cni.Tests;

/// <summary>deploy/cni: the conflist and the install script.</summary>
public sealed class DeployTests
{
    private static string DeployDir => Path.Combine(RepoPaths.Root, "deploy", "cni");

    [Fact]
    public void Conflist_chains_contiv_cni_then_portmap_for_hostPort()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DeployDir, "10-contiv-vpp.conflist")));
        var root = doc.RootElement;
        var plugins = root.GetProperty("plugins");

        Assert.Equal("k8s-pod-network", root.GetProperty("name").GetString());
        Assert.Equal("contiv-cni", plugins[0].GetProperty("type").GetString());
        Assert.Equal("/var/run/contiv/cni.sock", plugins[0].GetProperty("grpcServer").GetString());
        Assert.Equal("portmap", plugins[1].GetProperty("type").GetString());
        Assert.True(plugins[1].GetProperty("capabilities").GetProperty("portMappings").GetBoolean());
    }

    [Fact]
    public void Conflist_version_is_spoken_by_contiv_cni_and_by_debian_portmap()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DeployDir, "10-contiv-vpp.conflist")));
        var version = doc.RootElement.GetProperty("cniVersion").GetString()!;

        foreach (var plugin in new[] { CniRunner.ContivCni, "/usr/lib/cni/portmap" })
        {
            var supported = CniRunner.Run(plugin, new Dictionary<string, string?> { ["CNI_COMMAND"] = "VERSION" }, $"{{\"cniVersion\":\"{version}\"}}")
                .Ok().Json.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()).ToList();
            Assert.Contains(version, supported);
        }
    }

    [Fact]
    public void Install_script_copies_binary_plugins_and_conflist_into_the_given_directories()
    {
        using var dir = new TempDir();
        var r = Shell.Run("bash", [Path.Combine(DeployDir, "install.sh"), "--bin-dir", dir["bin"], "--conf-dir", dir["net.d"],
            "--grpc-server", "/run/test/cni.sock", "--log-file", "/run/test/cni.log"]);

        r.EnsureSuccess("install.sh");
        Assert.True(File.Exists(dir["bin/contiv-cni"]));
        Assert.True(File.Exists(dir["bin/portmap"]));
        Assert.True(File.Exists(dir["bin/loopback"]));
        Assert.Equal(0, Shell.Run("test", ["-x", dir["bin/contiv-cni"]]).ExitCode);
        Assert.Equal(new FileInfo(CniRunner.ContivCni).Length, new FileInfo(dir["bin/contiv-cni"]).Length);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir["net.d/10-contiv-vpp.conflist"]));
        var contiv = doc.RootElement.GetProperty("plugins")[0];
        Assert.Equal("/run/test/cni.sock", contiv.GetProperty("grpcServer").GetString());
        Assert.Equal("/run/test/cni.log", contiv.GetProperty("logFile").GetString());
        Assert.Empty(Directory.GetFiles(dir["net.d"], ".*"));
    }

    [Fact]
    public void Install_script_refuses_a_missing_binary_and_names_it()
    {
        using var dir = new TempDir();
        var r = Shell.Run("bash", [Path.Combine(DeployDir, "install.sh"), "--bin-dir", dir["bin"], "--conf-dir", dir["net.d"], "--binary", dir["nope"]]);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(dir["nope"], r.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir["net.d/10-contiv-vpp.conflist"]));
    }
}
