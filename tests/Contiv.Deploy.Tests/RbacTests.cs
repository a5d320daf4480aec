namespace Contiv.Deploy.Tests;

/// <summary>
/// Least privilege: each ServiceAccount's effective rules are exactly the ones the component's code
/// needs (read from its informers, CRD registration, status writes and proxied paths), so a widened
/// role fails here. Rules are compared as "namespace|apiGroup|resource|verb" (namespace * = cluster-wide).
/// </summary>
public sealed class RbacTests
{
    private static readonly Dictionary<string, string[]> Expected = new(StringComparer.Ordinal)
    {
        // The agent reads Kubernetes state from etcd only.
        ["contiv-vswitch"] = [],
        ["contiv-stn"] = [],
        // KubeSource.cs: list + watch of six kinds.
        ["contiv-ksr"] = [
            .. Rules("*", "", ["namespaces", "pods", "services", "endpoints", "nodes"], ["list", "watch"]),
            .. Rules("*", "networking.k8s.io", ["networkpolicies"], ["list", "watch"]),
        ],
        // CrdRegistration.cs, CustomResourceSource.cs, StatusWriter.cs, TelemetryReporter.cs.
        ["contiv-crd"] = [
            .. Rules("*", "apiextensions.k8s.io", ["customresourcedefinitions"], ["create", "get", "update"]),
            .. Rules("*", "nodeconfig.contiv.vpp", ["nodeconfigs"], ["list", "watch"]),
            .. Rules("*", "nodeconfig.contiv.vpp", ["nodeconfigs/status"], ["patch"]),
            .. Rules("*", "contivpp.io", ["customnetworks", "externalinterfaces", "servicefunctionchains", "customconfigurations"], ["list", "watch"]),
            .. Rules("*", "contivpp.io", ["customnetworks/status", "externalinterfaces/status", "servicefunctionchains/status", "customconfigurations/status"], ["patch"]),
            .. Rules("default", "telemetry.contiv.vpp", ["telemetryreports"], ["create"]),
            .. Rules("default", "telemetry.contiv.vpp", ["telemetryreports/status"], ["patch"]),
        ],
        // KubeChangeFeed.cs, ClusterNodes.cs: read-only.
        ["contiv-ui"] = [
            .. Rules("*", "", ["pods", "nodes", "services", "endpoints", "namespaces"], ["get", "list", "watch"]),
            .. Rules("*", "networking.k8s.io", ["networkpolicies"], ["get", "list", "watch"]),
        ],
    };

    public static TheoryData<string> Kustomizations => ["base", "overlays/single-nic", "overlays/dev"];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_service_account_has_exactly_its_expected_rules(string kustomization)
    {
        var objects = Rendered.Of(kustomization);
        foreach (var sa in objects.Where(o => o.Kind == "ServiceAccount"))
        {
            Assert.True(Expected.TryGetValue(sa.Name, out var expected), $"{kustomization}: ServiceAccount {sa.Name} has no expected rule list");
            var actual = EffectiveRules(objects, sa);
            Assert.True(
                expected.Order().SequenceEqual(actual.Order()),
                $"{kustomization}: {sa.Name} has [{string.Join(", ", actual.Order())}], expected [{string.Join(", ", expected.Order())}]");
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_workload_runs_under_its_own_service_account(string kustomization)
    {
        var objects = Rendered.Of(kustomization);
        foreach (var workload in Workloads.Of(objects))
        {
            var pod = Workloads.PodSpec(workload);
            var account = Yaml.Text(pod, "serviceAccountName");
            if (account is null)
            {
                // The default account: fine only without a token (contiv-etcd).
                Assert.Equal("false", Yaml.Text(pod, "automountServiceAccountToken"));
                continue;
            }

            Assert.Equal(workload.Name, account);
            Assert.Contains(objects, o => o.Kind == "ServiceAccount" && o.Name == account && o.Namespace == workload.Namespace);
        }
    }

    [Fact]
    public void The_vswitch_and_stn_mount_no_api_token()
    {
        foreach (var (kustomization, name) in new[] { ("base", "contiv-vswitch"), ("overlays/single-nic", "contiv-stn") })
        {
            Assert.Equal("false", Yaml.Text(Workloads.PodSpec(Rendered.Of(kustomization).Single("DaemonSet", name)), "automountServiceAccountToken"));
        }
    }

    private static IEnumerable<string> Rules(string ns, string group, string[] resources, string[] verbs) =>
        from r in resources from v in verbs select $"{ns}|{group}|{r}|{v}";

    private static HashSet<string> EffectiveRules(IReadOnlyList<KubeObject> objects, KubeObject sa)
    {
        var rules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var binding in objects.Where(o => o.Kind is "RoleBinding" or "ClusterRoleBinding"))
        {
            var bound = Yaml.Items(binding.Root, "subjects").Any(s =>
                Yaml.Text(s, "kind") == "ServiceAccount" && Yaml.Text(s, "name") == sa.Name && Yaml.Text(s, "namespace") == sa.Namespace);
            if (!bound)
            {
                continue;
            }

            var roleKind = binding.Text("roleRef.kind")!;
            var roleName = binding.Text("roleRef.name")!;
            var role = objects.SingleOrDefault(o => o.Kind == roleKind && o.Name == roleName && (roleKind == "ClusterRole" || o.Namespace == binding.Namespace));
            Assert.True(role is not null, $"{binding} refers to a missing {roleKind} {roleName}");
            var scope = binding.Kind == "ClusterRoleBinding" ? "*" : binding.Namespace!;
            foreach (var rule in Yaml.Items(role.Root, "rules"))
            {
                Assert.Null(Yaml.At(rule, "resourceNames"));
                Assert.Null(Yaml.At(rule, "nonResourceURLs"));
                foreach (var group in Yaml.Strings(rule, "apiGroups"))
                {
                    foreach (var resource in Yaml.Strings(rule, "resources"))
                    {
                        foreach (var verb in Yaml.Strings(rule, "verbs"))
                        {
                            rules.Add($"{scope}|{group}|{resource}|{verb}");
                        }
                    }
                }
            }
        }

        return rules;
    }
}
