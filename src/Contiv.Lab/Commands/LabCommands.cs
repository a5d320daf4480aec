using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Contiv.Lab.Check;
using Contiv.Lab.ControlPlane;
using Contiv.Lab.Kubelet;
using Contiv.Lab.Lab;
using Contiv.Lab.Manifests;
using Contiv.Lab.Nodes;
using Contiv.Lab.Processes;
using k8s;
using k8s.Models;
using Spectre.Console;

namespace Contiv.Lab.Commands;

/// <summary>The implementations of the <c>contiv-lab</c> subcommands (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
public static class LabCommands
{
    private static void Say(string line) => Console.Out.WriteLine(line);

    /// <summary>Tables keep their shape when the output is a file or a pipe (Spectre.Console assumes 80 columns there).</summary>
    private static void WidenConsole()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 200;
        }
    }

    private static string Short(string label) => label.StartsWith("default/", StringComparison.Ordinal) ? label["default/".Length..] : label;

    /// <summary><c>up</c>.</summary>
    public static async Task<int> UpAsync(LabInstance lab, UpOptions options, CancellationToken ct)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var state = await LabLifecycle.UpAsync(lab, options, Say, ct).ConfigureAwait(false);
        Say($"lab \"{lab.Name}\" is up: {state.Nodes.Count} node(s), {state.Network} network, in {sw.Elapsed.TotalSeconds:0.0}s");
        Say(string.Empty);
        Say(Usage(lab, state));
        return 0;
    }

    /// <summary>How to use a running lab (printed by <c>up</c> and the demo).</summary>
    public static string Usage(LabInstance lab, LabState state)
    {
        var inst = lab.Name == LabInstance.DefaultName ? string.Empty : $" --instance {lab.Name}";
        var first = state.Nodes.FirstOrDefault();
        var lines = new List<string>
        {
            $"kubeconfig: {lab.KubeconfigPath}",
            "Use it:",
            $"  eval \"$(contiv-lab env{inst})\"        # KUBECONFIG, ETCDCTL_API, ETCDCTL_ENDPOINTS",
            "  kubectl get nodes,pods -o wide",
            $"  contiv-lab apply{inst} -f examples/demo.yaml && contiv-lab check{inst}",
            "  etcdctl get --prefix /vnf-agent/contiv-ksr/ --keys-only",
        };
        if (first is not null && state.Network == "contiv")
        {
            lines.Add($"  contiv-vppctl -s {first.VppCliSocket} show interface");
            lines.Add($"  curl -s http://127.0.0.1:{first.RestPort}/contiv/v1/ipam");
        }

        lines.Add($"  contiv-lab status{inst}; contiv-lab logs{inst} <component>; contiv-lab down{inst}");
        return string.Join('\n', lines);
    }

    /// <summary><c>down</c>.</summary>
    public static async Task<int> DownAsync(LabInstance lab)
    {
        var report = await LabTeardown.DownAsync(lab, Say).ConfigureAwait(false);
        Say(report.Processes == 0 && report.Namespaces.Count == 0 && !report.StateDirRemoved
            ? $"lab \"{lab.Name}\" was not up; nothing to remove"
            : $"lab \"{lab.Name}\" removed");
        return 0;
    }

    /// <summary><c>env</c>.</summary>
    public static int Env(LabInstance lab)
    {
        var state = LabState.LoadRequired(lab);
        Say($"export KUBECONFIG={lab.KubeconfigPath}");
        Say("export ETCDCTL_API=3");
        Say($"export ETCDCTL_ENDPOINTS={state.EtcdUrl}");
        return 0;
    }

    /// <summary><c>apply -f</c>.</summary>
    public static async Task<int> ApplyAsync(LabInstance lab, IReadOnlyList<string> files, bool wait, TimeSpan timeout, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var objects = LoadManifests(files);
        using var client = new ManifestClient(state.ApiServerUrl);
        foreach (var outcome in await client.ApplyAsync(objects, ct).ConfigureAwait(false))
        {
            Say(outcome.ToString());
        }

        if (!wait)
        {
            return 0;
        }

        var pods = objects.Where(o => o["kind"]?.GetValue<string>() == "Pod")
            .Select(o => (Ns: o["metadata"]?["namespace"]?.GetValue<string>() ?? "default", Name: o["metadata"]!["name"]!.GetValue<string>()))
            .ToList();
        return await WaitPodsReadyAsync(lab, pods, timeout, ct).ConfigureAwait(false) ? 0 : 1;
    }

    /// <summary>Waits until the pods are Ready; prints the ones that are not on timeout.</summary>
    public static async Task<bool> WaitPodsReadyAsync(LabInstance lab, IReadOnlyList<(string Ns, string Name)> pods, TimeSpan timeout, CancellationToken ct)
    {
        if (pods.Count == 0)
        {
            return true;
        }

        using var k = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        var deadline = DateTime.UtcNow + timeout;
        List<string> waiting;
        do
        {
            waiting = [];
            var all = await k.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false);
            foreach (var (ns, name) in pods)
            {
                var pod = all.Items.FirstOrDefault(p => p.Namespace() == ns && p.Name() == name);
                if (pod?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") != true)
                {
                    var why = pod?.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Message;
                    waiting.Add($"{ns}/{name} ({pod?.Status?.Phase ?? "missing"}{(string.IsNullOrEmpty(why) ? string.Empty : ": " + why)})");
                }
            }

            if (waiting.Count == 0)
            {
                Say($"{pods.Count} pod(s) ready");
                return true;
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }
        while (DateTime.UtcNow < deadline);

        await Console.Error.WriteLineAsync($"not ready after {timeout.TotalSeconds:0}s: {string.Join("; ", waiting)}").ConfigureAwait(false);
        return false;
    }

    /// <summary><c>delete -f</c>.</summary>
    public static async Task<int> DeleteAsync(LabInstance lab, IReadOnlyList<string> files, TimeSpan timeout, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        using var client = new ManifestClient(state.ApiServerUrl);
        foreach (var outcome in await client.DeleteAsync(LoadManifests(files), timeout, ct).ConfigureAwait(false))
        {
            Say(outcome.ToString());
        }

        return 0;
    }

    /// <summary><c>check</c>: prints the matrix; 0 only when every probe passed.</summary>
    public static async Task<int> CheckAsync(LabInstance lab, int port, bool json, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var report = await ConnectivityCheck.RunAsync(lab, state, port, ct).ConfigureAwait(false);
        if (json)
        {
            Say(JsonSerializer.Serialize(new
            {
                passed = report.Passed,
                endpoints = report.Endpoints,
                results = report.Results.Select(r => new { r.From, r.To, r.Target, r.Ping, r.Tcp }),
                problems = report.Problems,
            }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return report.Passed ? 0 : 1;
        }

        WidenConsole();
        var table = new Table().Border(TableBorder.Rounded).Title("connectivity (row → column): ICMP echo and TCP handshake");
        table.AddColumn("from \\ to");
        foreach (var e in report.Endpoints)
        {
            table.AddColumn(new TableColumn($"{Markup.Escape(Short(e.Label))}\n[grey]{e.Ip}[/]").Centered());
        }

        foreach (var from in report.Endpoints)
        {
            var cells = new List<string> { $"{Markup.Escape(Short(from.Label))} [grey]({from.Node})[/]" };
            foreach (var to in report.Endpoints)
            {
                var r = report.Results.FirstOrDefault(x => x.From == from.Label && x.To == to.Label);
                cells.Add(r is null ? "[grey]-[/]"
                    : r.Ok ? "[green]ok[/]"
                    : $"[red]{(r.Ping ? "ping ok" : "ping FAIL")}\n{(r.Tcp ? "tcp ok" : "tcp FAIL")}[/]");
            }

            table.AddRow(cells.ToArray());
        }

        AnsiConsole.Write(table);
        foreach (var p in report.Problems)
        {
            AnsiConsole.MarkupLine($"[red]not probed:[/] {Markup.Escape(p)}");
        }

        var passed = report.Results.Count(r => r.Ok);
        if (report.Passed)
        {
            AnsiConsole.MarkupLine($"[green]PASS[/]: {passed}/{report.Results.Count} pairs (ping and TCP) between {report.Endpoints.Count(e => e.Kind == "pod")} pods and {report.Endpoints.Count(e => e.Kind == "host")} node hosts");
        }
        else
        {
            AnsiConsole.MarkupLine(report.Results.Count == 0
                ? "[red]FAIL[/]: nothing to probe (no running pods?)"
                : $"[red]FAIL[/]: {passed}/{report.Results.Count} pairs passed");
        }

        return report.Passed ? 0 : 1;
    }

    /// <summary><c>status</c>.</summary>
    public static async Task<int> StatusAsync(LabInstance lab, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        WidenConsole();
        AnsiConsole.MarkupLine($"lab [bold]{lab.Name}[/]: {state.Network} network, up since {state.CreatedAt:u}, state in {lab.StateDir}");

        var control = new Table().Border(TableBorder.Rounded).Title("control plane");
        control.AddColumns("component", "pid", "state", "address");
        AddProcessRow(control, state, "etcd", state.EtcdUrl);
        AddProcessRow(control, state, "apiserver", state.ApiServerUrl.ToString());
        AddProcessRow(control, state, "ksr", $"http://127.0.0.1:{state.KsrPort}/readiness");
        AddProcessRow(control, state, "scheduler", string.Empty);
        AnsiConsole.Write(control);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var nodes = new Table().Border(TableBorder.Rounded).Title("nodes");
        nodes.AddColumns("node", "netns", "mgmt IP", "data IP", "vpp", "agent", "kubelet", "agent REST");
        foreach (var n in state.Nodes)
        {
            var ready = "-";
            if (state.Network == "contiv")
            {
                try
                {
                    using var r = await http.GetAsync(new Uri($"http://127.0.0.1:{n.RestPort}/readiness"), ct).ConfigureAwait(false);
                    ready = r.IsSuccessStatusCode ? $"[green]ready[/] :{n.RestPort}" : $"[red]{(int)r.StatusCode}[/] :{n.RestPort}";
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    ready = $"[red]down[/] :{n.RestPort}";
                }
            }

            nodes.AddRow(n.Name, n.Netns, n.ManagementIp, n.DataIp, Alive(state, "vpp-" + n.Name), Alive(state, "agent-" + n.Name), Alive(state, "kubelet-" + n.Name), ready);
        }

        AnsiConsole.Write(nodes);

        try
        {
            using var k = KubeClients.FromKubeconfig(lab.KubeconfigPath);
            var pods = await k.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false);
            var table = new Table().Border(TableBorder.Rounded).Title("pods");
            table.AddColumns("pod", "node", "phase", "ready", "IP", "restarts");
            foreach (var p in pods.Items.OrderBy(p => p.Namespace(), StringComparer.Ordinal).ThenBy(p => p.Name(), StringComparer.Ordinal))
            {
                var ready = p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
                table.AddRow(Markup.Escape($"{p.Namespace()}/{p.Name()}"), p.Spec.NodeName ?? "-", Markup.Escape(p.Status?.Phase ?? "-"),
                    ready ? "[green]yes[/]" : "[red]no[/]", p.Status?.PodIP ?? "-",
                    (p.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0).ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            AnsiConsole.MarkupLine($"[red]API server unreachable:[/] {Markup.Escape(e.Message)}");
            return 1;
        }

        return 0;
    }

    /// <summary><c>logs COMPONENT</c>.</summary>
    public static async Task<int> LogsAsync(LabInstance lab, string component, bool follow, int lines, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var file = ResolveLog(lab, state, component);
        if (file is null)
        {
            var names = state.Processes.Select(p => p.Name).Concat(state.Nodes.Select(n => "cni-" + n.Name)).Order(StringComparer.Ordinal);
            await Console.Error.WriteLineAsync($"no log for \"{component}\"; components: {string.Join(", ", names)}, pod/NAMESPACE/NAME[/CONTAINER]").ConfigureAwait(false);
            return 2;
        }

        Say(LabControlPlane.Tail(file, lines));
        if (!follow)
        {
            return 0;
        }

        await using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        fs.Seek(0, SeekOrigin.End);
        using var reader = new StreamReader(fs);
        while (!ct.IsCancellationRequested)
        {
            var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
                continue;
            }

            Say(line);
        }

        return 0;
    }

    /// <summary><c>node add</c>.</summary>
    public static async Task<int> NodeAddAsync(LabInstance lab, int count, CancellationToken ct)
    {
        var nodes = await LabLifecycle.AddNodesAsync(lab, count, Say, ct).ConfigureAwait(false);
        Say($"added {string.Join(", ", nodes.Select(n => n.Name))}");
        return 0;
    }

    /// <summary><c>node delete</c>.</summary>
    public static async Task<int> NodeDeleteAsync(LabInstance lab, string node, CancellationToken ct)
    {
        await LabLifecycle.RemoveNodeAsync(lab, node, Say, ct).ConfigureAwait(false);
        return 0;
    }

    /// <summary><c>node restart</c>.</summary>
    public static async Task<int> NodeRestartAsync(LabInstance lab, string node, IReadOnlyList<string> components, CancellationToken ct)
    {
        await LabLifecycle.RestartNodeAsync(lab, node, components, Say, ct).ConfigureAwait(false);
        Say($"{node}: {string.Join(", ", components)} restarted");
        return 0;
    }

    /// <summary>The hidden <c>kubelet</c> subcommand: runs until SIGTERM, then removes the node's pods.</summary>
    public static async Task<int> KubeletAsync(KubeletOptions options)
    {
        using var cts = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        LabLog.Info("kubelet/" + options.NodeName, $"starting (netns {options.NodeNetns}, host IP {options.HostIp}, pid {Environment.ProcessId})");
        await new KubeletService(options).RunAsync(cts.Token).ConfigureAwait(false);
        LabLog.Info("kubelet/" + options.NodeName, "stopped");
        return 0;
    }

    /// <summary>The hidden <c>scheduler</c> subcommand.</summary>
    public static async Task<int> SchedulerAsync(string kubeconfig)
    {
        using var cts = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        await new LabScheduler(kubeconfig).RunAsync(cts.Token).ConfigureAwait(false);
        return 0;
    }

    private static List<System.Text.Json.Nodes.JsonObject> LoadManifests(IReadOnlyList<string> files)
    {
        if (files.Count == 0)
        {
            throw new ArgumentException("no manifest given: use -f FILE (or -f - for stdin)");
        }

        var objects = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var f in files)
        {
            var text = f == "-" ? Console.In.ReadToEnd() : File.Exists(f) ? File.ReadAllText(f) : throw new FileNotFoundException($"manifest {f} does not exist", f);
            objects.AddRange(YamlDocuments.Parse(text, f));
        }

        return objects;
    }

    private static string? ResolveLog(LabInstance lab, LabState state, string component)
    {
        if (state.Processes.Find(p => p.Name == component) is { } p)
        {
            return p.LogFile;
        }

        if (component.StartsWith("cni-", StringComparison.Ordinal) && state.FindNode(component[4..]) is { } node)
        {
            return Path.Combine(node.Dir, "kubelet", "cni.log");
        }

        var path = Path.Combine(lab.LogDir, component + ".log");
        if (File.Exists(path))
        {
            return path;
        }

        if (component.StartsWith("pod/", StringComparison.Ordinal))
        {
            var parts = component.Split('/');
            if (parts.Length is 3 or 4)
            {
                foreach (var n in state.Nodes)
                {
                    var podsDir = Path.Combine(n.Dir, "kubelet", "pods");
                    if (!Directory.Exists(podsDir))
                    {
                        continue;
                    }

                    var dir = Directory.GetDirectories(podsDir, $"{parts[1]}_{parts[2]}_*").OrderBy(Directory.GetLastWriteTimeUtc).LastOrDefault();
                    if (dir is not null)
                    {
                        var logs = Directory.GetFiles(dir, "*.log");
                        return parts.Length == 4 ? logs.FirstOrDefault(l => Path.GetFileNameWithoutExtension(l) == parts[3]) : logs.FirstOrDefault();
                    }
                }
            }
        }

        return null;
    }

    private static void AddProcessRow(Table table, LabState state, string name, string address)
    {
        var p = state.Processes.Find(x => x.Name == name);
        if (p is null)
        {
            if (name != "etcd" || !state.ExternalEtcd)
            {
                table.AddRow(name, "-", "[grey]not started[/]", Markup.Escape(address));
            }
            else
            {
                table.AddRow(name, "-", "external", Markup.Escape(address));
            }

            return;
        }

        table.AddRow(name, p.Pid.ToString(CultureInfo.InvariantCulture), Alive(state, name), Markup.Escape(address));
    }

    private static string Alive(LabState state, string name)
    {
        var p = state.Processes.Find(x => x.Name == name);
        return p is null ? "[grey]-[/]" : ProcessTable.IsAlive(p.Pid, p.StartTicks) ? "[green]running[/]" : "[red]exited[/]";
    }
}
