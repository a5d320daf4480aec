using System.Text.Json;
using System.Text.RegularExpressions;
using Contiv.Testing;
using Microsoft.Playwright;

namespace Contiv.Ui.Tests.Browser;

/// <summary>contiv-ui in Debian's chromium against a running 2-node lab with the demo workloads (docs/ui.md).</summary>
public sealed class UiBrowserTests(UiLabFixture lab) : IClassFixture<UiLabFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private async Task<IPage> OpenAsync(string view = "topology")
    {
        var page = await lab.NewPageAsync();
        var response = await page.GotoAsync(lab.UiUrl + (view == "topology" ? string.Empty : "#" + view));
        Assert.Equal(200, response!.Status);
        await page.WaitForSelectorAsync($"body[data-rendered^='{view}@']", new() { Timeout = (float)Wait.TotalMilliseconds });
        return page;
    }

    private static Task ShotAsync(IPage page, string name)
        => page.ScreenshotAsync(new() { Path = Path.Combine(UiLabFixture.ScreenshotDir, name + ".png") });

    // Cells joined explicitly: a row's own innerText separates cells only while the table is laid out (once, in CI,
    // every row of a table came back as "shop-back/dbnode2 · …", cells run together).
    private static async Task<string[]> RowsAsync(IPage page, string tableId)
        => [.. (await page.Locator($"#{tableId} tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => Array.from(r.cells, c => c.innerText).join(' '))"))
            .Select(r => Regex.Replace(r, @"\s+", " ").Trim())];

    [RootFact]
    public async Task The_topology_shows_both_nodes_the_pods_and_the_two_tunnel_ends()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync();

        var nodes = await RowsAsync(page, "topology-nodes");
        Assert.Equal(2, nodes.Length);
        Assert.StartsWith("node1 192.168.56.1 192.168.16.1 10.1.1.0/24 Ready", nodes[0], StringComparison.Ordinal);
        Assert.StartsWith("node2 192.168.56.2 192.168.16.2 10.1.2.0/24 Ready", nodes[1], StringComparison.Ordinal);

        var pods = await RowsAsync(page, "topology-pods");
        foreach (var (pod, node) in new[] { ("client-1", "node1"), ("client-2", "node2"), ("web-1", "node1"), ("web-2", "node2") })
        {
            var ip = lab.PodIp(pod);
            Assert.Contains(pods, r => Regex.IsMatch(r, $"^{pod} default {node} {Regex.Escape(ip)} vpp-tap-[0-9a-f]+ Running$"));
        }

        var tunnels = await RowsAsync(page, "topology-tunnels");
        Assert.Equal(["node1 vxlan-default-2 192.168.16.1 192.168.16.2 10 up", "node2 vxlan-default-1 192.168.16.2 192.168.16.1 10 up"], tunnels);

        // The graph itself: 2 vSwitches, the 4 pods, 2 tunnel ends joined by one tunnel, each with its label.
        var graph = await page.EvaluateAsync<JsonElement>("""
            () => { const cy = window.contivUi.cy; const of = k => cy.nodes(`[kind = "${k}"]`).map(n => n.data('label'));
              return { vswitch: of('vswitch'), pod: of('pod'), tunnel: of('tunnel'), vxlan: cy.edges('[kind = "vxlan"]').map(e => e.data('label')) }; }
            """);
        Assert.Equal(2, graph.GetProperty("vswitch").GetArrayLength());
        Assert.Contains(graph.GetProperty("vswitch").EnumerateArray(), l => l.GetString()!.StartsWith("vSwitch node2\n192.168.16.2", StringComparison.Ordinal));
        Assert.Equal(4, graph.GetProperty("pod").GetArrayLength());
        Assert.Contains(graph.GetProperty("pod").EnumerateArray(), l => l.GetString() == $"web-2\n{lab.PodIp("web-2")}");
        Assert.Equal(["vxlan-default-2\n192.168.16.1 → 192.168.16.2", "vxlan-default-1\n192.168.16.2 → 192.168.16.1"], graph.GetProperty("tunnel").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["VXLAN VNI 10"], graph.GetProperty("vxlan").EnumerateArray().Select(l => l.GetString()));
        await ShotAsync(page, "topology");
    }

    [RootFact]
    public async Task Clicking_a_pod_in_the_graph_shows_its_ip_tap_and_node()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync();

        // A real mouse click where cytoscape drew the pod.
        var at = await page.EvaluateAsync<JsonElement>("""
            () => { const cy = window.contivUi.cy; const p = cy.getElementById('pod:default/web-2').renderedPosition();
              const box = cy.container().getBoundingClientRect(); return { x: box.left + p.x, y: box.top + p.y }; }
            """);
        await page.Mouse.ClickAsync(at.GetProperty("x").GetSingle(), at.GetProperty("y").GetSingle());

        var details = page.Locator("#details");
        await Assertions.Expect(details.Locator("h2")).ToHaveTextAsync("Pod default/web-2", new() { Timeout = 10_000 });
        var text = Regex.Replace(await details.InnerTextAsync(), @"\s+", " ");
        Assert.Contains($"IP {lab.PodIp("web-2")}", text, StringComparison.Ordinal);
        Assert.Contains("node node2", text, StringComparison.Ordinal);
        Assert.Matches("TAP \\(vSwitch side\\) vpp-tap-[0-9a-f]+", text);
        Assert.Contains("pod interface eth0", text, StringComparison.Ordinal);
        await ShotAsync(page, "pod-details");
    }

    [RootFact]
    public async Task Clicking_a_vswitch_shows_its_interfaces_routes_arp_and_l2_fib()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync();
        await page.Locator("#topology-nodes button[data-ref='node1']").ClickAsync();

        await page.WaitForSelectorAsync("#details-fib", new() { Timeout = 20_000 });
        Assert.Contains(await RowsAsync(page, "details-interfaces"), r => r.Contains("vxlan-default-2 VXLAN", StringComparison.Ordinal));
        Assert.Contains(await RowsAsync(page, "details-interfaces"), r => r.Contains("vxlanBVI loopback 192.168.30.1/24", StringComparison.Ordinal));
        Assert.Contains(await RowsAsync(page, "details-routes"), r => r.StartsWith("1 10.1.2.0/24 192.168.30.2 vxlanBVI", StringComparison.Ordinal));
        Assert.Contains(await RowsAsync(page, "details-arps"), r => r.Contains(lab.PodIp("web-1"), StringComparison.Ordinal) && r.EndsWith("static", StringComparison.Ordinal));
        Assert.Contains(await RowsAsync(page, "details-fib"), r => r.StartsWith("12:2b:00:00:00:02 vxlanBD vxlan-default-2 static", StringComparison.Ordinal));
        await ShotAsync(page, "vswitch-details");
    }

    [RootFact]
    public async Task A_pod_added_with_kubectl_appears_without_a_reload()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync();
        await page.EvaluateAsync("() => { window.notReloaded = true; }");
        const string Pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: late-1, namespace: default, labels: {app: late}}
            spec:
              nodeName: node2
              containers: [{name: sleeper, image: none, command: ["sleep", "infinity"]}]
            """;
        lab.Kubectl(Pod, "apply", "-f", "-").EnsureSuccess("kubectl apply late-1");
        try
        {
            var row = page.Locator("#topology-pods tbody tr", new() { HasText = "late-1" });
            await Assertions.Expect(row).ToContainTextAsync(new Regex(@"10\.1\.2\.\d+"), new() { Timeout = 60_000 });
            await Assertions.Expect(row).ToContainTextAsync("vpp-tap-", new() { Timeout = 30_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page was reloaded");
            var label = await page.EvaluateAsync<string>("() => window.contivUi.cy.getElementById('pod:default/late-1').data('label')");
            Assert.Equal($"late-1\n{lab.PodIp("late-1")}", label);
            await ShotAsync(page, "pod-added-live");
        }
        finally
        {
            lab.Kubectl(null, "delete", "pod", "late-1", "--wait=true", "--timeout=60s");
        }
    }

    [RootFact]
    public async Task The_cli_console_runs_show_interface_on_node2()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync("cli");
        await page.SelectOptionAsync("#cli-node", new SelectOptionValue { Label = "node2 (192.168.56.2)" });
        await page.FillAsync("#cli-input", "show interface");
        await page.PressAsync("#cli-input", "Enter");

        var output = page.Locator("#cli-output");
        await Assertions.Expect(output).ToContainTextAsync("vxlan_tunnel0", new() { Timeout = 20_000 });
        var text = await output.InnerTextAsync();
        Assert.StartsWith("node2 (192.168.56.2) vpp# show interface", text, StringComparison.Ordinal);
        Assert.Contains("host-data0", text, StringComparison.Ordinal);

        // As printed: the page shows the same table contiv-vppctl prints on node2's CLI socket (counters aside).
        var node2Cli = Path.Combine(lab.StateDir, "nodes", "node2", "vpp-cli.sock");
        var direct = Shell.Run(RepoPaths.Executable("contiv-vppctl"), ["-s", node2Cli, "show", "interface"]).EnsureSuccess("contiv-vppctl");
        static string[] InterfaceLines(string s) => [.. s.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && !l.Contains("vpp#", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4)))];
        Assert.Equal(InterfaceLines(direct.StdOut), InterfaceLines(text));

        // And it ran on node2: its addresses, not node1's.
        await page.FillAsync("#cli-input", "show interface addr");
        await page.PressAsync("#cli-input", "Enter");
        await Assertions.Expect(output).ToContainTextAsync("192.168.16.2/24", new() { Timeout = 20_000 });
        Assert.DoesNotContain("192.168.16.1/24", await output.InnerTextAsync(), StringComparison.Ordinal);

        // History: ↑ brings the last command back.
        await page.PressAsync("#cli-input", "ArrowUp");
        Assert.Equal("show interface addr", await page.InputValueAsync("#cli-input"));
        await page.PressAsync("#cli-input", "ArrowUp");
        Assert.Equal("show interface", await page.InputValueAsync("#cli-input"));
        await ShotAsync(page, "cli");
    }

    [RootFact]
    public async Task The_ipam_and_services_tables_show_the_labs_values()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync("ipam");
        Assert.Equal(["1 192.168.16.1 10.1.1.0/24 172.30.1.0/24 10.1.0.0/16 192.168.30.0/24 10.96.0.0/12"], await RowsAsync(page, "ipam-node1"));
        Assert.Equal(["2 192.168.16.2 10.1.2.0/24 172.30.2.0/24 10.1.0.0/16 192.168.30.0/24 10.96.0.0/12"], await RowsAsync(page, "ipam-node2"));
        var alloc2 = await RowsAsync(page, "ipam-alloc-node2");
        Assert.Contains($"web-2 default {lab.PodIp("web-2")}", alloc2);
        Assert.Contains($"client-2 default {lab.PodIp("client-2")}", alloc2);
        await ShotAsync(page, "ipam");

        await page.ClickAsync("#tab-services");
        await page.WaitForSelectorAsync("#services-node1", new() { Timeout = 20_000 });
        var clusterIp = lab.Kubectl(null, "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").EnsureSuccess("kubectl get svc web").StdOut.Trim();
        var rows = await RowsAsync(page, "services-node1");
        var web = Assert.Single(rows, r => r.StartsWith($"default/web {clusterIp}:80 TCP", StringComparison.Ordinal));
        Assert.Contains($"{lab.PodIp("web-1")}:8080", web, StringComparison.Ordinal);
        Assert.Contains($"{lab.PodIp("web-2")}:8080", web, StringComparison.Ordinal);
        Assert.Contains(rows, r => r.StartsWith("default/web-nodeport 192.168.16.1:30800 TCP", StringComparison.Ordinal));
        Assert.Contains(await RowsAsync(page, "services-node2"), r => r.StartsWith($"default/web {clusterIp}:80 TCP", StringComparison.Ordinal));
        await ShotAsync(page, "services");

        await page.ClickAsync("#tab-kubernetes");
        await page.WaitForSelectorAsync("#kube-endpoints", new() { Timeout = 20_000 });
        Assert.Contains(await RowsAsync(page, "kube-services"), r => r.StartsWith($"default web ClusterIP {clusterIp} 80/TCP → 8080", StringComparison.Ordinal));
        await ShotAsync(page, "kubernetes");
    }

    [RootFact]
    public async Task The_policies_view_shows_per_pod_the_selecting_policies_and_the_acls_the_vswitch_holds()
    {
        lab.SkipIfNotReady();
        var policies = Path.Combine(RepoPaths.Root, "examples", "policies.yaml");
        var apply = lab.Lab(TimeSpan.FromSeconds(200), "apply", "-f", policies, "--wait", "--timeout", "120");
        Assert.True(apply.ExitCode == 0, $"examples/policies.yaml did not become ready:\n{apply.StdOut}\n{apply.StdErr}");
        try
        {
            string Ip(string ns, string pod) => lab.Kubectl(null, "get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.podIP}").EnsureSuccess("kubectl get pod " + pod).StdOut.Trim();
            var apiIp = Ip("shop-back", "api");
            var dbIp = Ip("shop-back", "db");
            var page = await OpenAsync("policies");

            // db (node2): selected by two policies; isolated; its own ACL out of its TAP (towards it), reflection into it;
            // the rules as node2's vSwitch holds them: api on the named port redis = 6379, the NAT loopback, then deny.
            // Agents render asynchronously: the page follows the pods' changes, so wait for the ACL to show.
            var db = page.Locator("#policies-pods tbody tr", new() { HasText = "shop-back/db" });
            await Assertions.Expect(db).ToContainTextAsync($"permit+reflect src {apiIp}/32 dst any TCP sport any dport 6379", new() { Timeout = 60_000 });
            var dbRow = Assert.Single(await RowsAsync(page, "policies-pods"), r => r.StartsWith("shop-back/db ", StringComparison.Ordinal));
            Assert.Contains($"node2 · {dbIp} · vpp-tap-", dbRow, StringComparison.Ordinal);
            Assert.Contains("shop-back/db-from-api (Ingress) shop-back/default-deny-ingress (Ingress)", dbRow, StringComparison.Ordinal);
            Assert.Matches("isolated: table contiv-policy-[0-9a-f]{16} ", dbRow);
            Assert.Matches("contiv-policy-REFLECTION — inbound \\(from the pod\\)", dbRow);
            Assert.Matches("contiv-policy-[0-9a-f]{16} — outbound \\(to the pod\\)", dbRow);
            Assert.Contains("permit+reflect src 10.1.2.254/32 dst any any protocol", dbRow, StringComparison.Ordinal);
            Assert.EndsWith("deny src any dst any any protocol", dbRow, StringComparison.Ordinal);

            // api (node1): its own policy plus the namespace's default deny; frontend's namespace has none.
            var apiRow = Assert.Single(await RowsAsync(page, "policies-pods"), r => r.StartsWith("shop-back/api ", StringComparison.Ordinal));
            Assert.Contains("shop-back/api-from-front (Ingress) shop-back/default-deny-ingress (Ingress)", apiRow, StringComparison.Ordinal);
            Assert.Contains("dport 8080", apiRow, StringComparison.Ordinal);
            var front = Assert.Single(await RowsAsync(page, "policies-pods"), r => r.StartsWith("shop-front/frontend ", StringComparison.Ordinal));
            Assert.Contains(" none not isolated (all traffic allowed) contiv-policy-REFLECTION — inbound (from the pod)", front, StringComparison.Ordinal);
            Assert.Contains(await RowsAsync(page, "policies-pods"), r => r.StartsWith("default/web-1 node1 ", StringComparison.Ordinal) && r.Contains("not isolated", StringComparison.Ordinal));

            // Each vSwitch's ACLs as its data plane holds them.
            Assert.Contains(await RowsAsync(page, "acls-node2"), r => r.StartsWith("contiv-policy-REFLECTION 0: permit+reflect src any dst any any protocol", StringComparison.Ordinal));
            Assert.Contains(await RowsAsync(page, "acls-node1"), r => r.Contains("dport 8080", StringComparison.Ordinal));
            await ShotAsync(page, "policies");
        }
        finally
        {
            // The other tests count the demo's 4 pods: these go, and are waited for; the namespaces may stay.
            foreach (var ns in new[] { "shop-front", "shop-back", "other" })
            {
                lab.Kubectl(null, "delete", "pod,networkpolicy", "--all", "-n", ns, "--wait=true", "--timeout=50s");
            }

            lab.Kubectl(null, "delete", "namespace", "shop-front", "shop-back", "other", "--wait=false");
        }
    }

    [RootFact]
    public async Task The_netctl_box_runs_nodes_ipam_and_validate_through_contiv_crd()
    {
        lab.SkipIfNotReady();
        var page = await OpenAsync("netctl");
        var output = page.Locator("#netctl-output");

        await page.ClickAsync("#netctl-nodes");
        await Assertions.Expect(output).ToContainTextAsync("NODE-NAME", new() { Timeout = 30_000 });
        var text = await output.InnerTextAsync();
        Assert.StartsWith("$ contiv-netctl nodes", text, StringComparison.Ordinal);
        Assert.Matches("1 +node1 +192\\.168\\.16\\.1/24 +192\\.168\\.56\\.1 +\\S+ +OK", text);
        Assert.Matches("2 +node2 +192\\.168\\.16\\.2/24 +192\\.168\\.56\\.2 +\\S+ +OK", text);

        await page.ClickAsync("#netctl-ipam");
        await Assertions.Expect(output).ToContainTextAsync("POD-CIDR", new() { Timeout = 30_000 });
        Assert.Matches("2 +node2 +192\\.168\\.16\\.2 +192\\.168\\.30\\.2/24 +10\\.1\\.2\\.0/24", await output.InnerTextAsync());

        // An argument line typed in: a node's pods.
        await page.FillAsync("#netctl-input", "pods node2");
        await page.PressAsync("#netctl-input", "Enter");
        await Assertions.Expect(output).ToContainTextAsync(lab.PodIp("web-2"), new() { Timeout = 30_000 });

        // The healthy lab validates: every agent polled by contiv-crd's netctl, no finding.
        await page.ClickAsync("#netctl-validate");
        await Assertions.Expect(output).ToContainTextAsync("global: ", new() { Timeout = 60_000 });
        var validate = (await output.InnerTextAsync())[(await output.InnerTextAsync()).IndexOf("$ contiv-netctl validate", StringComparison.Ordinal)..];
        Assert.Contains("global: validation OK", validate, StringComparison.Ordinal);
        await ShotAsync(page, "netctl");
    }

    [RootFact]
    public async Task Basic_auth_refuses_a_wrong_password()
    {
        lab.SkipIfNotReady();
        // A second contiv-ui over the same lab, with basic auth.
        var port = FreePort();
        var config = Path.Combine(Path.GetTempPath(), $"contiv-ui-auth-{port}.yaml");
        var labConfig = File.ReadAllLines(Path.Combine(lab.StateDir, "ui.yaml")).Where(l => !l.StartsWith("port:", StringComparison.Ordinal));
        File.WriteAllLines(config, [.. labConfig, $"port: {port}", "basicAuth: {admin: right-password}"]);
        using var ui = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(RepoPaths.Executable("contiv-ui"), ["--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        ui.OutputDataReceived += (_, _) => { };
        ui.ErrorDataReceived += (_, _) => { };
        ui.BeginOutputReadLine();
        ui.BeginErrorReadLine();
        try
        {
            var url = $"http://127.0.0.1:{port}/";
            await WaitUpAsync(url + "liveness");

            var wrong = await lab.NewPageAsync(new() { HttpCredentials = new HttpCredentials { Username = "admin", Password = "wrong-password" } });
            var refused = await wrong.GotoAsync(url);
            Assert.Equal(401, refused!.Status);
            Assert.DoesNotContain("topology", await wrong.ContentAsync(), StringComparison.OrdinalIgnoreCase);
            await ShotAsync(wrong, "auth-refused");

            var right = await lab.NewPageAsync(new() { HttpCredentials = new HttpCredentials { Username = "admin", Password = "right-password" } });
            Assert.Equal(200, (await right.GotoAsync(url))!.Status);
            await right.WaitForSelectorAsync("body[data-rendered^='topology@']", new() { Timeout = (float)Wait.TotalMilliseconds });
            Assert.Equal(2, (await RowsAsync(right, "topology-nodes")).Length);
        }
        finally
        {
            ui.Kill(entireProcessTree: true);
            await ui.WaitForExitAsync();
            File.Delete(config);
        }
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task WaitUpAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var r = await http.GetAsync(url);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{url} did not answer within 30 s");
    }
}
