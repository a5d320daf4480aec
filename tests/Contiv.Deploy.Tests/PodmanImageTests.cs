using System.Text.Json.Nodes;
using Contiv.Testing;

namespace Contiv.Deploy.Tests;

/// <summary>
/// The images of scripts/images.sh under a real container runtime (Debian's podman): every program starts in its
/// image (a missing library or runtime file fails here), the vSwitch image's init container installs contiv-cni
/// and the conflist into bind-mounted directories exactly as the DaemonSet's command line says, and the etcd
/// image serves clients.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PodmanImageTests(PodmanImages images) : IClassFixture<PodmanImages>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("contiv-podman-test-").FullName;

    private void RequireImages() => Assert.True(images.Problem is null, images.Problem);

    /// <summary>image, program (null: the image's entrypoint), argument, text the output must contain.</summary>
    public static TheoryData<string, string?, string, string> Programs => new()
    {
        { "contiv-vswitch", null, "--help", "contiv-init" },
        { "contiv-vswitch", "/opt/contiv/bin/contiv-agent", "--help", "contiv-agent" },
        { "contiv-vswitch", "/opt/contiv/bin/contiv-vpp", "--help", "contiv-vpp" },
        { "contiv-vswitch", "/opt/contiv/bin/contiv-vppctl", "--help", "contiv-vppctl" },
        { "contiv-ksr", null, "--help", "contiv-ksr" },
        { "contiv-crd", null, "--help", "contiv-crd" },
        { "contiv-crd", "/opt/contiv/bin/contiv-netctl", "--help", "netctl" },
        { "contiv-ui", null, "--help", "contiv-ui" },
        { "contiv-stn", null, "--help", "contiv-stn" },
        { "contiv-etcd", null, "--version", "etcd Version:" },
    };

    [RootTheory]
    [MemberData(nameof(Programs))]
    public void Each_program_starts_in_its_image(string component, string? program, string argument, string expected)
    {
        RequireImages();
        var r = images.Run(program is null ? [] : ["--entrypoint", program], component, argument);
        var output = r.StdOut + r.StdErr;
        Assert.True(r.ExitCode == 0, $"{component} {program ?? "(entrypoint)"} {argument} exited {r.ExitCode}:\n{output}");
        Assert.Contains(expected, output, StringComparison.OrdinalIgnoreCase);
    }

    [RootFact]
    public void The_non_root_images_run_as_65532()
    {
        RequireImages();
        foreach (var component in new[] { "contiv-ksr", "contiv-crd", "contiv-ui" })
        {
            var r = images.Run(["--entrypoint", "/opt/contiv/bin/" + component], component, "--help");
            Assert.Equal(0, r.ExitCode);
            var user = images.Podman("image", "inspect", "--format", "{{.Config.User}}", PodmanImages.Image(component));
            Assert.Equal("65532:65532", user.StdOut.Trim());
        }
    }

    [RootFact]
    public void The_vswitch_init_container_installs_contiv_cni_into_bind_mounted_host_directories()
    {
        RequireImages();
        var objects = Rendered.Of("overlays/dev");
        var install = Workloads.Containers(objects.Single("DaemonSet", "contiv-vswitch")).Single(c => c.IsInit);
        var hostBin = Directory.CreateDirectory(Path.Combine(_dir, "opt-cni-bin")).FullName;
        var hostConf = Directory.CreateDirectory(Path.Combine(_dir, "etc-cni-net.d")).FullName;
        var cfg = Directory.CreateDirectory(Path.Combine(_dir, "cni-cfg")).FullName;
        var conflist = objects.Single("ConfigMap", "contiv-cni-cfg").Data("10-contiv-vpp.conflist")!;
        File.WriteAllText(Path.Combine(cfg, "10-contiv-vpp.conflist"), conflist);

        // The DaemonSet's own command line and mounts, with the init container's security context.
        var command = install.CommandLine;
        var r = images.Run(
            [
                "--user", "0", "--read-only", "--cap-drop", "ALL", "--cap-add", "DAC_OVERRIDE,CHOWN,FOWNER",
                "-v", $"{hostBin}:{install.Mounts.Single(m => m.Value == "cni-bin").Key}",
                "-v", $"{hostConf}:{install.Mounts.Single(m => m.Value == "cni-conf").Key}",
                "-v", $"{cfg}:{install.Mounts.Single(m => m.Value == "cni-cfg").Key}:ro",
                "--entrypoint", command[0],
            ],
            "contiv-vswitch", [.. command.Skip(1)]);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', command)} exited {r.ExitCode}:\n{r.StdOut}{r.StdErr}");

        foreach (var plugin in new[] { "contiv-cni", "portmap", "loopback" })
        {
            var path = Path.Combine(hostBin, plugin);
            Assert.True(File.Exists(path), $"{plugin} not installed into the host's CNI bin dir: {string.Join(", ", Directory.GetFiles(hostBin).Select(Path.GetFileName))}");
            Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{plugin} is not executable");
        }

        // The installed contiv-cni is the real plugin: it answers the CNI VERSION command.
        var version = Shell.Run(Path.Combine(hostBin, "contiv-cni"), [], stdin: "{\"cniVersion\":\"1.0.0\"}",
            env: new Dictionary<string, string?> { ["CNI_COMMAND"] = "VERSION" }, timeout: TimeSpan.FromSeconds(20));
        Assert.True(version.ExitCode == 0, $"contiv-cni VERSION: {version.StdOut}{version.StdErr}");
        Assert.Contains("1.0.0", JsonNode.Parse(version.StdOut)!["supportedVersions"]!.ToJsonString(), StringComparison.Ordinal);

        var installed = Path.Combine(hostConf, "10-contiv-vpp.conflist");
        Assert.True(File.Exists(installed), $"no conflist in the host's net.d: {string.Join(", ", Directory.GetFiles(hostConf).Select(Path.GetFileName))}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(conflist), JsonNode.Parse(File.ReadAllText(installed))), File.ReadAllText(installed));
    }

    [RootFact]
    public void The_etcd_image_serves_clients()
    {
        RequireImages();
        var client = PodmanImages.FreePort();
        var peer = PodmanImages.FreePort();
        var name = "contiv-etcd-test-" + Guid.NewGuid().ToString("N")[..8];
        var start = images.Podman(["run", "-d", "--name", name, "--network", "host", "--pull", "never", .. PodmanImages.Limits,
            "--cap-drop", "ALL", "--tmpfs", "/var/etcd", PodmanImages.Image("contiv-etcd"),
            "--name=test", "--data-dir=/var/etcd/data",
            $"--listen-client-urls=http://127.0.0.1:{client}", $"--advertise-client-urls=http://127.0.0.1:{client}",
            $"--listen-peer-urls=http://127.0.0.1:{peer}", $"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            $"--initial-cluster=test=http://127.0.0.1:{peer}"]);
        try
        {
            Assert.True(start.ExitCode == 0, $"podman run etcd: {start.StdOut}{start.StdErr}");
            var endpoint = $"http://127.0.0.1:{client}";
            CommandResult Etcdctl(params string[] args) => Shell.Run("etcdctl", ["--endpoints", endpoint, "--command-timeout=3s", .. args],
                env: new Dictionary<string, string?> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(10));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            CommandResult health;
            while ((health = Etcdctl("endpoint", "health")).ExitCode != 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }

            Assert.True(health.ExitCode == 0, $"etcdctl endpoint health: {health.StdOut}{health.StdErr}\n{images.Podman("logs", name).StdErr}");
            Assert.Contains("is healthy", health.StdOut + health.StdErr, StringComparison.Ordinal);
            Etcdctl("put", "/contiv/test", "served").EnsureSuccess("etcdctl put");
            Assert.Contains("served", Etcdctl("get", "/contiv/test").StdOut, StringComparison.Ordinal);
        }
        finally
        {
            images.Podman("rm", "--force", "--time", "2", name);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
