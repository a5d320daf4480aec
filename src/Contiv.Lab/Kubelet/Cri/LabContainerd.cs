using System.Diagnostics;
using System.Globalization;
using Contiv.Lab.ControlPlane;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;

namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// One Debian containerd (1.6, CRI plugin, runc) per lab node, started by <c>up --runtime containerd</c>
/// inside the node's network namespace (<c>nsenter --net</c>, so the CNI plugins it runs — contiv-cni,
/// portmap with its iptables rules — act where a real node's runtime runs them) with its own root,
/// state, sockets and CNI configuration under <c>nodes/&lt;node&gt;/containerd/</c>. The lab's images
/// (busybox, pause; built by <c>scripts/build.sh</c>, no registry) are imported into its
/// <c>k8s.io</c> namespace before the node's kubelet starts.
/// </summary>
internal static class LabContainerd
{
    /// <summary>Debian's containerd.</summary>
    public const string Containerd = "/usr/bin/containerd";

    /// <summary>Debian's containerd client.</summary>
    public const string Ctr = "/usr/bin/ctr";

    /// <summary>The sandbox ("pause") image every pod's sandbox runs.</summary>
    public const string PauseImage = "docker.io/contiv-lab/pause:latest";

    /// <summary>The workload image, also tagged as <c>busybox</c> (what <c>kubectl create deployment --image=busybox</c> names).</summary>
    public const string BusyboxImage = "docker.io/contiv-lab/busybox:latest";

    /// <summary>Runtime name for <c>up --runtime</c> and the state file.</summary>
    public const string RuntimeName = "containerd";

    /// <summary>The image archives <c>scripts/build.sh</c> writes next to the executables.</summary>
    public static string ImageDir(LabBinaries bins) => Path.Combine(bins.Dir, "lab-images");

    /// <summary>The node's containerd directory (root, state, sockets, config).</summary>
    public static string Dir(LabNode node) => Path.Combine(node.Dir, "containerd");

    /// <summary>The node's containerd socket (the kubelet's CRI endpoint).</summary>
    public static string Socket(LabNode node) => Path.Combine(Dir(node), "containerd.sock");

    /// <summary>The kubelet's <c>--container-runtime-endpoint</c>.</summary>
    public static string Endpoint(LabNode node) => "unix://" + Socket(node);

    /// <summary>Fails with what to install or build when containerd, runc or the images are missing.</summary>
    public static void RequirePrerequisites(LabBinaries bins)
    {
        foreach (var (file, package) in new[] { (Containerd, "containerd"), (Ctr, "containerd"), ("/usr/bin/containerd-shim-runc-v2", "containerd"), ("/usr/sbin/runc", "runc") })
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"--runtime containerd needs {file}: apt-get install containerd runc", file);
            }
        }

        foreach (var image in new[] { "pause.tar", "busybox.tar" })
        {
            var path = Path.Combine(ImageDir(bins), image);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--runtime containerd needs the image archive {path}; scripts/build.sh builds it (scripts/lab-images.sh)", path);
            }
        }
    }

    /// <summary>containerd's configuration for a node (version 2 format of containerd 1.6).</summary>
    public static string Config(LabNode node)
    {
        var dir = Dir(node);
        static string Q(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return string.Join('\n',
        [
            "# Written by contiv-lab for " + node.Name + ": a private containerd in the node's network namespace.",
            "version = 2",
            "root = " + Q(Path.Combine(dir, "root")),
            "state = " + Q(Path.Combine(dir, "state")),
            "oom_score = 0",
            // Not needed in the lab, and each would otherwise look for host resources or listen somewhere.
            "disabled_plugins = [\"io.containerd.internal.v1.tracing\", \"io.containerd.tracing.processor.v1.otlp\", \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\"]",
            "",
            "[grpc]",
            "  address = " + Q(Socket(node)),
            "",
            "[ttrpc]",
            "  address = " + Q(Socket(node) + ".ttrpc"),
            "",
            "[debug]",
            "  address = \"\"",
            "",
            "[metrics]",
            "  address = \"\"",
            "",
            "[plugins.\"io.containerd.internal.v1.opt\"]",
            "  path = " + Q(Path.Combine(dir, "opt")),
            "",
            "[plugins.\"io.containerd.grpc.v1.cri\"]",
            "  sandbox_image = " + Q(PauseImage),
            "  stream_server_address = \"127.0.0.1\"",
            "  stream_server_port = \"0\"",
            "  disable_apparmor = true",
            // The sandbox's pause process would get oom_score_adj -998, which needs CAP_SYS_RESOURCE beyond what a
            // container or VM sandbox running the lab may grant: clamp to containerd's own score instead.
            "  restrict_oom_score_adj = true",
            "  enable_selinux = false",
            "  max_container_log_line_size = 16384",
            "",
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd]",
            "  snapshotter = \"overlayfs\"",
            "  default_runtime_name = \"runc\"",
            "",
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]",
            "  runtime_type = \"io.containerd.runc.v2\"",
            "",
            "[plugins.\"io.containerd.grpc.v1.cri\".cni]",
            "  bin_dir = " + Q(node.CniBinDir),
            "  conf_dir = " + Q(node.CniConfDir),
            "  max_conf_num = 1",
            string.Empty,
        ]);
    }

    /// <summary>Writes the config, starts (supervised) the node's containerd, waits for CRI and imports the lab's images.</summary>
    public static async Task<LabProcessRecord> StartAsync(LabInstance lab, LabState state, LabNode node, LabBinaries bins, CancellationToken ct)
    {
        var dir = Dir(node);
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "config.toml");
        File.WriteAllText(config, Config(node));
        var name = Nodes.LabNodes.ProcessName("containerd", node.Name);
        var record = DetachedProcess.Start(lab, name, LabBinaries.Nsenter,
            ["--net=/run/netns/" + node.Netns, "--", Containerd, "--config", config], Path.Combine(lab.LogDir, name + ".log"), node.Name);
        LabControlPlane.Record(lab, state, record);

        using (var cri = CriConnection.Open(Endpoint(node)))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                while (!File.Exists(Socket(node)))
                {
                    if (DetachedProcess.ExitedWhileStarting(record) is { } exited)
                    {
                        throw new InvalidOperationException($"containerd of {node.Name} exited while starting ({exited}); last lines of {record.LogFile}:\n{LabControlPlane.Tail(record.LogFile, 15)}");
                    }

                    await Task.Delay(50, timeout.Token).ConfigureAwait(false);
                }

                await cri.WaitReadyAsync(TimeSpan.FromSeconds(60), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"containerd of {node.Name} did not answer CRI Version on {Socket(node)} within 60s; see {record.LogFile}");
            }
        }

        foreach (var image in new[] { "pause.tar", "busybox.tar" })
        {
            await CtrAsync(node, ct, "images", "import", Path.Combine(ImageDir(bins), image)).ConfigureAwait(false);
        }

        // The short name people write in manifests resolves to docker.io/library/busybox:latest.
        await CtrAsync(node, ct, "images", "tag", "--force", BusyboxImage, "docker.io/library/busybox:latest").ConfigureAwait(false);
        return record;
    }

    /// <summary>Runs <c>ctr --address SOCKET -n k8s.io ARGS…</c> and fails with its output when it fails.</summary>
    public static async Task<string> CtrAsync(LabNode node, CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo(Ctr) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--address", Socket(node), "--namespace", "k8s.io" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot run " + Ctr);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ctr {string.Join(' ', args)} for {node.Name} failed ({p.ExitCode.ToString(CultureInfo.InvariantCulture)}): {(await stderr.ConfigureAwait(false)).Trim()}");
        }

        return await stdout.ConfigureAwait(false);
    }
}
