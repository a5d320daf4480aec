using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Contiv.Deploy.Tests;

/// <summary>
/// Runs the vSwitch init container's command line, with the image's and the host's paths mapped into
/// a temporary directory, against deploy/cni/install.sh (the script the image carries).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CniInstallTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("contiv-deploy-cni-").FullName;

    [Fact]
    public void Init_container_command_installs_contiv_cni_and_the_conflist()
    {
        var objects = Rendered.Of("base");
        var ds = objects.Single("DaemonSet", "contiv-vswitch");
        var install = Workloads.Containers(ds).Single(c => c.IsInit);

        // What the image and the volumes provide.
        var image = Path.Combine(_dir, "image");
        Directory.CreateDirectory(Path.Combine(image, "bin"));
        Directory.CreateDirectory(Path.Combine(image, "plugins"));
        File.WriteAllText(Path.Combine(image, "bin", "contiv-cni"), "#!/bin/sh\necho contiv-cni\n");
        File.SetUnixFileMode(Path.Combine(image, "bin", "contiv-cni"), (UnixFileMode)0b111_101_101);
        foreach (var plugin in new[] { "portmap", "loopback" })
        {
            File.WriteAllText(Path.Combine(image, "plugins", plugin), "#!/bin/sh\n");
            File.SetUnixFileMode(Path.Combine(image, "plugins", plugin), (UnixFileMode)0b111_101_101);
        }

        var cfgMount = install.Mounts.Single(m => m.Value == "cni-cfg").Key;
        var cfgDir = Path.Combine(_dir, "cni-cfg");
        Directory.CreateDirectory(cfgDir);
        var conflist = objects.Single("ConfigMap", "contiv-cni-cfg").Data("10-contiv-vpp.conflist")!;
        File.WriteAllText(Path.Combine(cfgDir, "10-contiv-vpp.conflist"), conflist);
        var hostBin = Path.Combine(_dir, "host-opt-cni-bin");
        var hostConf = Path.Combine(_dir, "host-etc-cni-net.d");

        var map = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["/opt/contiv/cni/install.sh"] = Path.Combine(Rendered.DeployDir, "cni", "install.sh"),
            ["/opt/contiv/bin"] = Path.Combine(image, "bin"),
            ["/usr/lib/cni"] = Path.Combine(image, "plugins"),
            [cfgMount] = cfgDir,
            [install.Mounts.Single(m => m.Value == "cni-bin").Key] = hostBin,
            [install.Mounts.Single(m => m.Value == "cni-conf").Key] = hostConf,
        };
        string Mapped(string arg)
        {
            foreach (var (from, to) in map.OrderByDescending(m => m.Key.Length))
            {
                if (arg == from || arg.StartsWith(from + "/", StringComparison.Ordinal))
                {
                    return to + arg[from.Length..];
                }
            }

            return arg;
        }

        var line = install.CommandLine.Select(Mapped).ToList();
        Assert.Equal("/bin/bash", line[0]);
        var psi = new ProcessStartInfo(line[0], line.Skip(1)) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.True(process.ExitCode == 0, $"install failed ({process.ExitCode}): {stdout}{stderr.Result}");

        Assert.Equal("#!/bin/sh\necho contiv-cni\n", File.ReadAllText(Path.Combine(hostBin, "contiv-cni")));
        Assert.True(File.Exists(Path.Combine(hostBin, "portmap")));
        Assert.True(File.Exists(Path.Combine(hostBin, "loopback")));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(conflist), JsonNode.Parse(File.ReadAllText(Path.Combine(hostConf, "10-contiv-vpp.conflist")))));
        Assert.Equal(["10-contiv-vpp.conflist"], Directory.GetFiles(hostConf).Select(Path.GetFileName));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
