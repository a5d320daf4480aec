using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Tests;

/// <summary>The real kubectl v1.32 binary against the in-process server (default validation, no --validate=false).</summary>
public sealed class KubectlTests
{
    private const string PodYaml = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          labels:
            app: web
        spec:
          containers:
          - name: nginx
            image: nginx:1.25
            ports:
            - containerPort: 80
              name: http
        """;

    private const string ServiceYaml = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector:
            app: web
          ports:
          - port: 80
            targetPort: http
        """;

    private const string PolicyYaml = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: deny-web
        spec:
          podSelector:
            matchLabels:
              app: web
          policyTypes: [Ingress]
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  role: client
            ports:
            - protocol: TCP
              port: 80
        """;

    [Fact]
    public async Task Create_get_and_delete_from_yaml_files_work_for_pods_services_and_networkpolicies()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        var pod = kubectl.File("pod.yaml", PodYaml);
        var svc = kubectl.File("svc.yaml", ServiceYaml);
        var pol = kubectl.File("pol.yaml", PolicyYaml);

        Assert.Contains("pod/web created", kubectl.Ok("create", "-f", pod), StringComparison.Ordinal);
        Assert.Contains("service/web created", kubectl.Ok("create", "-f", svc), StringComparison.Ordinal);
        Assert.Contains("networkpolicy.networking.k8s.io/deny-web created", kubectl.Ok("create", "-f", pol), StringComparison.Ordinal);

        var pods = kubectl.Ok("get", "pods");
        Assert.Matches(@"(?m)^web\s+0/1\s+Pending\s+0\s+\d+s", pods);
        var services = kubectl.Ok("get", "svc", "web");
        Assert.Matches(@"(?m)^web\s+ClusterIP\s+10\.(9[6-9]|1[01]\d)\.\d+\.\d+\s+<none>\s+80/TCP", services);
        Assert.Contains("deny-web", kubectl.Ok("get", "netpol"), StringComparison.Ordinal);

        var json = JsonNode.Parse(kubectl.Ok("get", "networkpolicy", "deny-web", "-o", "json"))!;
        Assert.Equal("role", json["spec"]!["ingress"]![0]!["from"]![0]!["podSelector"]!["matchLabels"]!.AsObject().First().Key);

        var duplicate = kubectl.Run("create", "-f", pod);
        Assert.NotEqual(0, duplicate.ExitCode);
        Assert.Contains("Error from server (AlreadyExists): error when creating", duplicate.StdErr, StringComparison.Ordinal);
        Assert.Contains("pods \"web\" already exists", duplicate.StdErr, StringComparison.Ordinal);

        Assert.Contains("pod \"web\" deleted", kubectl.Ok("delete", "-f", pod), StringComparison.Ordinal);
        Assert.Contains("service \"web\" deleted", kubectl.Ok("delete", "-f", svc), StringComparison.Ordinal);
        Assert.Contains("networkpolicy.networking.k8s.io \"deny-web\" deleted", kubectl.Ok("delete", "-f", pol), StringComparison.Ordinal);

        var missing = kubectl.Run("get", "pod", "web");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Error from server (NotFound): pods \"web\" not found", missing.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_creates_then_configures_then_reports_unchanged()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        var path = kubectl.File("pod.yaml", PodYaml);
        Assert.Contains("pod/web created", kubectl.Ok("apply", "-f", path), StringComparison.Ordinal);
        Assert.Contains("pod/web unchanged", kubectl.Ok("apply", "-f", path), StringComparison.Ordinal);

        kubectl.File("pod.yaml", PodYaml.Replace("app: web", "app: web\n    tier: front", StringComparison.Ordinal));
        Assert.Contains("pod/web configured", kubectl.Ok("apply", "-f", path), StringComparison.Ordinal);
        var labels = kubectl.Ok("get", "pod", "web", "-o", "jsonpath={.metadata.labels.tier}");
        Assert.Equal("front", labels);
        // The three-way strategic merge kept the container (merged by name) instead of replacing the list.
        Assert.Equal("nginx", kubectl.Ok("get", "pod", "web", "-o", "jsonpath={.spec.containers[*].name}"));
    }

    [Fact]
    public async Task Get_pods_watch_prints_the_create_and_the_delete()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        var path = kubectl.File("pod.yaml", PodYaml);
        using var watch = kubectl.Start("get", "pods", "-w", "--output-watch-events");
        Assert.True(Lab.Eventually(() => watch.Output.Contains("No resources found", StringComparison.Ordinal) || watch.Output.Length > 0 || server.Registry.ResourceVersion > 0));
        await Task.Delay(1000);
        kubectl.Ok("create", "-f", path);
        Assert.True(Lab.Eventually(() => watch.Output.Contains("ADDED", StringComparison.Ordinal) && watch.Output.Contains("web", StringComparison.Ordinal)), watch.Output);
        kubectl.Ok("delete", "-f", path);
        Assert.True(Lab.Eventually(() => watch.Output.Contains("DELETED", StringComparison.Ordinal)), watch.Output);
        Assert.False(watch.HasExited, watch.Output);
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_on_the_server()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("a.yaml", PodYaml));
        kubectl.Ok("create", "-f", kubectl.File("b.yaml", PodYaml.Replace("name: web", "name: db", StringComparison.Ordinal).Replace("app: web", "app: db", StringComparison.Ordinal)));
        kubectl.Ok("create", "-f", kubectl.File("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n"));
        kubectl.Ok("create", "-n", "other", "-f", kubectl.File("c.yaml", PodYaml.Replace("name: web", "name: web2", StringComparison.Ordinal)));

        Assert.Equal("web", kubectl.Ok("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}"));
        Assert.Equal("web web2", kubectl.Ok("get", "pods", "-A", "-l", "app in (web)", "-o", "jsonpath={.items[*].metadata.name}"));
        Assert.Equal("db", kubectl.Ok("get", "pods", "--field-selector", "metadata.name!=web", "-o", "jsonpath={.items[*].metadata.name}"));
        var all = kubectl.Ok("get", "pods", "-A");
        Assert.Matches(@"(?m)^other\s+web2\s", all);
        var bad = kubectl.Run("get", "pods", "--field-selector", "spec.foo=bar");
        Assert.Contains("field label not supported: spec.foo", bad.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_and_label_commands_change_the_object()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("pod.yaml", PodYaml));
        kubectl.Ok("label", "pod", "web", "env=test");
        kubectl.Ok("patch", "pod", "web", "--type", "merge", "-p", """{"metadata":{"annotations":{"a":"b"}}}""");
        kubectl.Ok("patch", "pod", "web", "-p", """{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}""");
        kubectl.Ok("patch", "pod", "web", "--type", "json", "-p", """[{"op":"add","path":"/metadata/labels/j","value":"p"}]""");
        var pod = JsonNode.Parse(kubectl.Ok("get", "pod", "web", "-o", "json"))!;
        Assert.Equal("test", (string?)pod["metadata"]!["labels"]!["env"]);
        Assert.Equal("p", (string?)pod["metadata"]!["labels"]!["j"]);
        Assert.Equal("b", (string?)pod["metadata"]!["annotations"]!["a"]);
        var container = pod["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.26", (string?)container["image"]);
        Assert.Equal(80, (int)container["ports"]![0]!["containerPort"]!);
    }

    [Fact]
    public async Task Short_names_and_version_resolve()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        Assert.Contains("Server Version: v1.32", kubectl.Ok("version"), StringComparison.Ordinal);
        Assert.Contains("kubernetes", kubectl.Ok("get", "svc"), StringComparison.Ordinal);
        Assert.Contains("default", kubectl.Ok("get", "ns"), StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:", kubectl.Ok("get", "ep", "kubernetes"), StringComparison.Ordinal);
        Assert.Contains("leases", kubectl.Ok("api-resources"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_scheduled_pod_waits_for_the_grace_period_and_then_it_is_gone()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("pod.yaml", PodYaml.Replace("spec:\n", "spec:\n  nodeName: n1\n  terminationGracePeriodSeconds: 1\n", StringComparison.Ordinal)));
        var started = DateTime.UtcNow;
        Assert.Contains("pod \"web\" deleted", kubectl.Ok("delete", "pod", "web"), StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9));
        Assert.NotEqual(0, kubectl.Run("get", "pod", "web").ExitCode);
    }

    [Fact]
    public async Task Imperative_creates_sent_as_protobuf_are_decoded()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        Assert.Contains("namespace/team created", kubectl.Ok("create", "namespace", "team"), StringComparison.Ordinal);
        kubectl.Ok("create", "-n", "team", "configmap", "cm", "--from-literal=k=v");
        kubectl.Ok("create", "-n", "team", "secret", "generic", "s", "--from-literal=k=v");
        kubectl.Ok("create", "-n", "team", "service", "nodeport", "svc", "--tcp=80:8080", "--node-port=30080");
        kubectl.Ok("create", "-n", "team", "serviceaccount", "sa");
        Assert.Equal("v", kubectl.Ok("get", "-n", "team", "cm", "cm", "-o", "jsonpath={.data.k}"));
        Assert.Equal("dg==", kubectl.Ok("get", "-n", "team", "secret", "s", "-o", "jsonpath={.data.k}"));
        Assert.Equal("30080 8080 svc", kubectl.Ok("get", "-n", "team", "svc", "svc", "-o", "jsonpath={.spec.ports[0].nodePort} {.spec.ports[0].targetPort} {.spec.selector.app}"));
        Assert.Contains("sa", kubectl.Ok("get", "-n", "team", "sa"), StringComparison.Ordinal);
        Assert.Contains("namespace \"team\" deleted", kubectl.Ok("delete", "namespace", "team"), StringComparison.Ordinal);
        Assert.Contains("No resources found", kubectl.Run("get", "-n", "team", "cm").StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_side_apply_creates_and_then_updates()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        var path = kubectl.File("svc.yaml", ServiceYaml);
        Assert.Contains("service/web serverside-applied", kubectl.Ok("apply", "--server-side", "-f", path), StringComparison.Ordinal);
        kubectl.File("svc.yaml", ServiceYaml.Replace("app: web", "app: web2", StringComparison.Ordinal));
        kubectl.Ok("apply", "--server-side", "-f", path);
        Assert.Equal("web2", kubectl.Ok("get", "svc", "web", "-o", "jsonpath={.spec.selector.app}"));
    }

    [Fact]
    public async Task Watching_one_pod_prints_its_current_state_then_changes()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("pod.yaml", PodYaml));
        using var watch = kubectl.Start("get", "pod", "web", "-w", "--output-watch-events");
        Assert.True(Lab.Eventually(() => watch.Output.Contains("web", StringComparison.Ordinal)), watch.Output);
        kubectl.Ok("label", "pod", "web", "step=two");
        Assert.True(Lab.Eventually(() => watch.Output.Contains("MODIFIED", StringComparison.Ordinal)), watch.Output);
        Assert.DoesNotContain("ERR", watch.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_all_expands_the_all_category()
    {
        await using var server = await Lab.StartAsync();
        using var kubectl = new Kubectl(server.Url);
        kubectl.Ok("create", "-f", kubectl.File("pod.yaml", PodYaml));
        var all = kubectl.Ok("get", "all");
        Assert.Contains("pod/web", all, StringComparison.Ordinal);
        Assert.Contains("service/kubernetes", all, StringComparison.Ordinal);
    }
}
