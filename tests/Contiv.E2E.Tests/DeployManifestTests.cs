using System.Text.RegularExpressions;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// One contiv lab (instance <c>e2ed</c>, two nodes) with the rendered dev overlay of deploy/ applied: the manifests
/// a user installs on a real cluster go through the lab API server with <c>kubectl apply --dry-run=server</c>, then
/// for real. A failing <c>up</c> fails every test of the class with the output.
/// </summary>
public sealed class DeployLabFixture : IDisposable
{
    public DeployLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        var render = Shell.Run("kubectl", ["kustomize", Path.Combine(RepoPaths.Root, "deploy", "overlays", "dev")], timeout: TimeSpan.FromSeconds(60));
        if (render.ExitCode != 0)
        {
            StartError = $"kubectl kustomize deploy/overlays/dev failed ({render.ExitCode}): {render.StdErr}";
            return;
        }

        Rendered = render.StdOut;
        ManifestFile = Path.Combine(Path.GetTempPath(), $"cle2e-deploy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(ManifestFile, Rendered);

        Lab.Run("down");
        var up = Lab.Run(TimeSpan.FromSeconds(240), "up", "--nodes", "2", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
        }
    }

    public Lab Lab { get; } = new("e2ed");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    /// <summary><c>kubectl kustomize deploy/overlays/dev</c>.</summary>
    public string Rendered { get; } = string.Empty;

    /// <summary>The rendered manifest in a temporary file.</summary>
    public string ManifestFile { get; } = string.Empty;

    public void Dispose()
    {
        Lab.Dispose();
        if (ManifestFile.Length > 0)
        {
            File.Delete(ManifestFile);
        }
    }
}

/// <summary>
/// The installation manifests of deploy/ against the lab API server and controllers (docs/install.md): every
/// object passes server-side validation and defaulting without being stored (<c>--dry-run=server</c>), is created
/// and readable, and the vSwitch DaemonSet gets one pod per node from the controller-manager. The lab cannot run
/// the images, so those pods wait in <c>ErrImageNeverPull</c> (as kubelet reports a missing node-local image)
/// and touch nothing of the node: the lab's own vSwitch keeps serving pods.
/// </summary>
public sealed partial class DeployManifestTests(DeployLabFixture fixture) : IClassFixture<DeployLabFixture>
{
    private const string Ns = "contiv-system";
    private static readonly object ApplyGate = new();

    private Lab Lab => fixture.Lab;

    private void RequireLab() => Assert.True(fixture.StartError is null, fixture.StartError);

    private CommandResult Kubectl(params string[] args) => Lab.Kubectl(args);

    private string Ok(params string[] args) => Kubectl(args).EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut.Trim();

    /// <summary>(kind, name) of every object of the rendered manifest, kind lower-case as <c>-o name</c> prints it.</summary>
    private IReadOnlyList<(string Kind, string Name)> RenderedObjects()
        => [.. fixture.Rendered.Split("\n---\n").Select(doc => (Kind: KindLine().Match(doc).Groups[1].Value.ToLowerInvariant(), Name: NameLine().Match(doc).Groups[1].Value))];

    /// <summary>(kind, name) pairs of <c>kubectl … -o name</c> output (<c>daemonset.apps/contiv-vswitch</c>).</summary>
    private static List<(string Kind, string Name)> Names(string output)
        => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (Kind: l[..l.IndexOf('/', StringComparison.Ordinal)].Split('.')[0], Name: l[(l.IndexOf('/', StringComparison.Ordinal) + 1)..]))];

    /// <summary>Applies the manifest for real (idempotent: the first caller creates, later ones find it unchanged).</summary>
    private void EnsureApplied()
    {
        lock (ApplyGate)
        {
            Ok("apply", "-f", fixture.ManifestFile);
        }
    }

    [RootFact]
    public void Every_object_passes_server_dry_run_without_being_stored_then_applies_and_reads_back()
    {
        RequireLab();
        var expected = RenderedObjects();
        Assert.True(expected.Count >= 20, $"the dev overlay rendered only {expected.Count} objects");
        Assert.DoesNotContain(expected, o => o.Kind.Length == 0 || o.Name.Length == 0);

        lock (ApplyGate)
        {
            // As a user does on a fresh cluster: the namespace first (a dry run cannot create it for what lives in it).
            if (Kubectl("get", "namespace", Ns).ExitCode != 0)
            {
                Ok("create", "namespace", Ns);
                var dry = Kubectl("apply", "--dry-run=server", "-f", fixture.ManifestFile, "-o", "name");
                Assert.True(dry.ExitCode == 0, $"apply --dry-run=server: {dry.StdOut}\n{dry.StdErr}");
                Assert.Equal(expected.OrderBy(o => o).ToList(), Names(dry.StdOut).OrderBy(o => o).ToList());

                // Nothing but the namespace exists afterwards.
                var stored = Kubectl("get", "-f", fixture.ManifestFile, "--ignore-not-found", "-o", "name");
                Assert.True(stored.ExitCode == 0, stored.StdErr);
                Assert.Equal([("namespace", Ns)], Names(stored.StdOut));
            }

            var apply = Kubectl("apply", "-f", fixture.ManifestFile);
            Assert.True(apply.ExitCode == 0, $"apply: {apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}");
        }

        // Every object reads back, with the server's defaults filled in.
        Assert.Equal(expected.OrderBy(o => o).ToList(), Names(Ok("get", "-f", fixture.ManifestFile, "-o", "name")).OrderBy(o => o).ToList());
        Assert.Equal("OrderedReady", Ok("get", "statefulset", "contiv-etcd", "-n", Ns, "-o", "jsonpath={.spec.podManagementPolicy}"));
        Assert.Equal("rbac.authorization.k8s.io", Ok("get", "clusterrolebinding", "contiv-ksr", "-o", "jsonpath={.roleRef.apiGroup}"));
        Assert.Contains("contiv-system/contiv-ksr", Ok("get", "clusterrolebinding", "contiv-ksr", "-o", "wide"), StringComparison.Ordinal);
        Assert.Equal("2000001000", Ok("get", "priorityclass", "system-node-critical", "-o", "jsonpath={.value}"));

        // A second apply changes nothing.
        Assert.DoesNotContain("configured", Ok("apply", "-f", fixture.ManifestFile), StringComparison.Ordinal);
    }

    [RootFact]
    public void The_vswitch_daemonset_lands_one_waiting_pod_per_node_and_leaves_the_labs_own_vswitch_alone()
    {
        RequireLab();
        EnsureApplied();
        var nodes = Ok("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").Split(' ');
        Assert.Equal(2, nodes.Length);

        string VswitchPods() => Kubectl("get", "pods", "-n", Ns, "-l", "app.kubernetes.io/name=contiv-vswitch",
            "-o", "jsonpath={range .items[*]}{.spec.nodeName}={.status.initContainerStatuses[0].state.waiting.reason}{\"\\n\"}{end}").StdOut.Trim();
        var want = string.Join('\n', nodes.Order(StringComparer.Ordinal).Select(n => n + "=ErrImageNeverPull"));
        Assert.True(WorkloadChecks.Eventually(() => string.Join('\n', VswitchPods().Split('\n').Order(StringComparer.Ordinal)) == want, TimeSpan.FromSeconds(45)),
            $"vswitch pods (node=init container waiting reason): {VswitchPods()}\n{Ok("get", "pods", "-n", Ns, "-o", "wide")}\n{Lab.Diagnostics()}");

        var pod = Ok("get", "pods", "-n", Ns, "-l", "app.kubernetes.io/name=contiv-vswitch", "-o", "jsonpath={.items[0].metadata.name}");
        Assert.Equal("Pending", Ok("get", "pod", pod, "-n", Ns, "-o", "jsonpath={.status.phase}"));
        Assert.Equal("2000001000", Ok("get", "pod", pod, "-n", Ns, "-o", "jsonpath={.spec.priority}"));
        Assert.Contains("is not present with pull policy of Never", Ok("get", "pod", pod, "-n", Ns, "-o", "jsonpath={.status.initContainerStatuses[0].state.waiting.message}"), StringComparison.Ordinal);
        Assert.Equal("PodInitializing", Ok("get", "pod", pod, "-n", Ns, "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}"));
        Assert.True(WorkloadChecks.Eventually(() => Ok("get", "events", "-n", Ns, "--field-selector", $"involvedObject.name={pod},reason=ErrImageNeverPull", "-o", "name").Length > 0, TimeSpan.FromSeconds(15)),
            Ok("get", "events", "-n", Ns));
        Assert.Equal("2", Ok("get", "daemonset", "contiv-vswitch", "-n", Ns, "-o", "jsonpath={.status.desiredNumberScheduled}"));

        // The control-plane components honour their nodeSelector: they wait on node1, the lab's control-plane node.
        foreach (var app in new[] { "contiv-ksr", "contiv-crd", "contiv-ui" })
        {
            string Placement() => Kubectl("get", "pods", "-n", Ns, "-l", "app.kubernetes.io/name=" + app,
                "-o", "jsonpath={range .items[*]}{.spec.nodeName}={.status.containerStatuses[0].state.waiting.reason}{end}").StdOut.Trim();
            Assert.True(WorkloadChecks.Eventually(() => Placement() == "node1=ErrImageNeverPull", TimeSpan.FromSeconds(45)), $"{app}: {Placement()}");
        }

        // Still waiting, never restarted, and the lab's own vSwitch still wires up new pods.
        Thread.Sleep(3000);
        Assert.Equal("0 0", Ok("get", "pods", "-n", Ns, "-l", "app.kubernetes.io/name=contiv-vswitch", "-o", "jsonpath={.items[*].status.containerStatuses[0].restartCount}"));
        Lab.Apply(Pods.Sleeper("after-deploy", "node2"));
        Assert.NotEmpty(Lab.PodField("after-deploy", "{.status.podIP}"));
    }

    [GeneratedRegex(@"^kind: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex KindLine();

    [GeneratedRegex(@"^metadata:\n(?:  .*\n)*?  name: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex NameLine();
}
