using System.Text.RegularExpressions;

namespace Contiv.Deploy.Tests;

/// <summary>
/// Every HTTP probe of a Contiv component targets a path its code serves, on the port its code
/// listens on by default (or the one its command line sets).
/// </summary>
public sealed partial class ProbeTests
{
    /// <summary>Container → (source directory, REST port).</summary>
    private static readonly Dictionary<string, (string Source, string Port)> Components = new(StringComparer.Ordinal)
    {
        ["contiv-vswitch"] = ("src/Contiv.Agent", "9999"),
        ["contiv-ksr"] = ("src/Contiv.Ksr", "9191"),
        ["contiv-crd"] = ("src/Contiv.Crd", "9090"),
        ["contiv-ui"] = ("src/Contiv.Ui", "9500"),
        ["contiv-stn"] = ("src/Contiv.Stn", "9998"),
    };

    public static TheoryData<string> Kustomizations => ["base", "overlays/single-nic", "overlays/dev"];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Probes_target_served_paths_and_ports(string kustomization)
    {
        var checkedContainers = new List<string>();
        foreach (var container in Workloads.Of(Rendered.Of(kustomization)).SelectMany(Workloads.Containers).Where(c => !c.IsInit))
        {
            if (container.Name == "contiv-etcd")
            {
                continue; // etcd's own /health on its metrics listener (EtcdTests)
            }

            Assert.True(Components.TryGetValue(container.Name, out var component), $"{container}: no table entry for this component");
            var source = Path.Combine(Rendered.RepoRoot, component.Source);
            if (!Directory.Exists(source))
            {
                continue; // the component has not landed in this tree yet
            }

            var served = ServedPaths(source);
            foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
            {
                var path = Yaml.Text(container.Node, probe + ".httpGet.path");
                Assert.True(path is not null, $"{container}: no HTTP {probe}");
                Assert.True(served.Contains(path), $"{container}: {probe} path {path} is not served by {component.Source} (serves {string.Join(", ", served.Order())})");
                Assert.Equal(component.Port, Yaml.Text(container.Node, probe + ".httpGet.port"));
                Assert.True(
                    container.Name == "contiv-ui" || Yaml.Text(container.Node, probe + ".httpGet.host") == "127.0.0.1",
                    $"{container}: {probe} must target 127.0.0.1, where the component binds by default");
            }

            checkedContainers.Add(container.Name);
        }

        // The agent and KSR are always in the tree: a render whose probes were all skipped proves nothing.
        Assert.Contains("contiv-vswitch", checkedContainers);
        Assert.Contains("contiv-ksr", checkedContainers);
    }

    [Fact]
    public void Ksr_and_crd_listen_where_their_probes_look()
    {
        // Their command line does not set http-address, so their ConfigMaps must keep it on the probe port.
        var objects = Rendered.Of("base");
        Assert.Contains("http-address: 127.0.0.1:9191", objects.Single("ConfigMap", "contiv-ksr-cfg").Data("ksr.conf"), StringComparison.Ordinal);
        Assert.Contains("http-address: 127.0.0.1:9090", objects.Single("ConfigMap", "contiv-crd-cfg").Data("crd.conf"), StringComparison.Ordinal);
        Assert.Contains("port: 9500", objects.Single("ConfigMap", "contiv-ui-cfg").Data("contiv-ui.conf"), StringComparison.Ordinal);
        Assert.Contains("--http=127.0.0.1:9998", Workloads.Container(Rendered.Of("overlays/single-nic").Single("DaemonSet", "contiv-stn"), "contiv-stn").CommandLine);
    }

    /// <summary>The GET paths a component maps: literal Map*("/…") calls, and the probes of MapProbes.</summary>
    private static HashSet<string> ServedPaths(string sourceDir)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var probes = File.ReadAllText(Path.Combine(Rendered.RepoRoot, "src", "Contiv.Hosting", "ProbeEndpoints.cs"));
        foreach (var file in Directory.EnumerateFiles(sourceDir, "*.cs", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (Match m in MapCall().Matches(text))
            {
                paths.Add(m.Groups[1].Value);
            }

            if (text.Contains(".MapProbes(", StringComparison.Ordinal))
            {
                foreach (Match m in MapCall().Matches(probes))
                {
                    paths.Add(m.Groups[1].Value);
                }
            }
        }

        return paths;
    }

    [GeneratedRegex("""\.Map(?:Get)?\("(/[^"{]*)"\s*,""")]
    private static partial Regex MapCall();
}
