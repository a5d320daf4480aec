using System.Globalization;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;
using k8s;
using k8s.Models;
using Spectre.Console;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab status</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class StatusCommand
{
    /// <summary><c>status</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        LabConsole.WidenConsole();
        AnsiConsole.MarkupLine($"lab [bold]{lab.Name}[/]: {state.Network} network{(state.Stn ? " with STN" : string.Empty)}, up since {state.CreatedAt:u}, state in {lab.StateDir}");

        var control = new Table().Border(TableBorder.Rounded).Title("control plane");
        control.AddColumns("component", "pid", "state", "restarts", "last exit", "address");
        AddProcessRow(control, state, "etcd", state.EtcdUrl);
        AddProcessRow(control, state, "apiserver", state.ApiServerUrl.ToString());
        AddProcessRow(control, state, "ksr", $"{LabSecurity.Scheme(state)}://127.0.0.1:{state.KsrPort}/readiness");
        AddProcessRow(control, state, "crd", $"{LabSecurity.Scheme(state)}://127.0.0.1:{state.CrdPort}/readiness");
        AddProcessRow(control, state, "scheduler", string.Empty);
        if (state.UiPort != 0)
        {
            AddProcessRow(control, state, ControlPlane.LabUi.ProcessName, ControlPlane.LabUi.Url(state));
        }
        AddProcessRow(control, state, "controller-manager", string.Empty);
        AnsiConsole.Write(control);

        var http = LabSecurity.HttpClient(lab, state);
        var nodes = new Table().Border(TableBorder.Rounded).Title("nodes");
        if (state.Stn)
        {
            // One NIC per node; contiv-init runs the data plane and the agent (docs/stn.md).
            nodes.AddColumns("node", "netns", "node IP", Network.StnUnderlay.NodeLink, "stn", "init (vpp + agent)", "kubelet", "agent REST");
        }
        else
        {
            nodes.AddColumns("node", "netns", "mgmt IP", "data IP", "vpp", "agent", "kubelet", "agent REST");
        }

        foreach (var n in state.Nodes)
        {
            var ready = "-";
            if (state.Network == "contiv")
            {
                try
                {
                    using var r = await http.GetAsync(new Uri($"{n.RestUrl}/readiness"), ct).ConfigureAwait(false);
                    ready = r.IsSuccessStatusCode ? $"[green]ready[/] :{n.RestPort}" : $"[red]{(int)r.StatusCode}[/] :{n.RestPort}";
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    ready = $"[red]down[/] :{n.RestPort}";
                }
            }

            if (state.Stn)
            {
                nodes.AddRow(n.Name, n.Netns, n.DataIp, Markup.Escape(Network.StnUnderlay.NicOwner(n.Netns)), Alive(state, "stn-" + n.Name), Alive(state, "init-" + n.Name), Alive(state, "kubelet-" + n.Name), ready);
                continue;
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

    private static void AddProcessRow(Table table, LabState state, string name, string address)
    {
        var p = state.Processes.Find(x => x.Name == name);
        if (p is null)
        {
            if (name != "etcd" || !state.ExternalEtcd)
            {
                table.AddRow(name, "-", "[grey]not started[/]", "-", "-", Markup.Escape(address));
            }
            else
            {
                table.AddRow(name, "-", "external", "-", "-", Markup.Escape(address));
            }

            return;
        }

        var status = DetachedProcess.Status(p);
        table.AddRow(name, (DetachedProcess.DaemonPid(p)?.ToString(CultureInfo.InvariantCulture)) ?? "-", Alive(state, name),
            (status?.Restarts ?? 0).ToString(CultureInfo.InvariantCulture), Markup.Escape(LastExit(status)), Markup.Escape(address));
    }

    /// <summary>A daemon's state as kubelet would show a container's: running, CrashLoopBackOff (with restarts), exited.</summary>
    private static string Alive(LabState state, string name)
    {
        var p = state.Processes.Find(x => x.Name == name);
        if (p is null)
        {
            return "[grey]-[/]";
        }

        if (!ProcessTable.IsAlive(p.Pid, p.StartTicks))
        {
            return p.StatusFile is null ? "[red]exited[/]" : "[red]exited (not supervised any more)[/]";
        }

        var s = DetachedProcess.Status(p);
        var restarts = s is { Restarts: > 0 } ? $" ({s.Restarts} restarts)" : string.Empty;
        return s?.State switch
        {
            null or SupervisedStatus.Running => $"[green]running[/]{restarts}",
            SupervisedStatus.CrashLoopBackOff => $"[red]CrashLoopBackOff[/]{restarts}",
            _ => $"[yellow]{Markup.Escape(s.State)}[/]{restarts}",
        };
    }

    private static string LastExit(SupervisedStatus? s)
        => s?.LastExit is { } e ? $"{e} at {s.LastExitAt:HH:mm:ss}" : "-";
}
