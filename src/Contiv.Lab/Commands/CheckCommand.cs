using System.Text.Json;
using Contiv.Lab.Check;
using Contiv.Lab.Lab;
using Spectre.Console;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab check</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class CheckCommand
{
    /// <summary><c>check</c>: prints the matrix; 0 only when every probe passed.</summary>
    public static async Task<int> RunAsync(LabInstance lab, int port, bool json, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var report = await ConnectivityCheck.RunAsync(lab, state, port, ct).ConfigureAwait(false);
        if (json)
        {
            LabConsole.Say(JsonSerializer.Serialize(new
            {
                passed = report.Passed,
                endpoints = report.Endpoints,
                results = report.Results.Select(r => new { r.From, r.To, r.Target, r.Ping, r.Tcp, r.Expected, r.Ok }),
                problems = report.Problems,
                serviceTargets = report.ServiceTargets,
                serviceResults = report.ServiceResults,
                servicesSkipped = report.ServicesSkipped,
            }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return report.Passed ? 0 : 1;
        }

        LabConsole.WidenConsole();
        var table = new Table().Border(TableBorder.Rounded).Title("connectivity (row → column): ICMP echo and TCP handshake");
        table.AddColumn("from \\ to");
        foreach (var e in report.Endpoints)
        {
            table.AddColumn(new TableColumn($"{Markup.Escape(LabConsole.Short(e.Label))}\n[grey]{e.Ip}[/]").Centered());
        }

        foreach (var from in report.Endpoints)
        {
            var cells = new List<string> { $"{Markup.Escape(LabConsole.Short(from.Label))} [grey]({from.Node})[/]" };
            foreach (var to in report.Endpoints)
            {
                var r = report.Results.FirstOrDefault(x => x.From == from.Label && x.To == to.Label);
                cells.Add(r is null ? "[grey]-[/]"
                    : r.BlockedAsExpected ? "[green]blocked[/]"
                    : r.Expected == false ? "[red]NOT blocked[/]"
                    : r.Ok ? "[green]ok[/]"
                    : r.Expected == true ? "[red]tcp FAIL[/]"
                    : $"[red]{(r.Ping ? "ping ok" : "ping FAIL")}\n{(r.Tcp ? "tcp ok" : "tcp FAIL")}[/]");
            }

            table.AddRow(cells.ToArray());
        }

        AnsiConsole.Write(table);
        foreach (var p in report.Problems)
        {
            AnsiConsole.MarkupLine($"[red]not probed:[/] {Markup.Escape(p)}");
        }

        WriteServiceMatrix(report);
        var passed = report.Results.Count(r => r.Ok);
        var blocked = report.Results.Count(r => r.BlockedAsExpected);
        var blockedNote = blocked == 0 ? string.Empty : $" ({blocked} blocked by policies as expected)";
        var servicesPassed = report.ServiceResults.Count(r => r.Tcp);
        var services = report.ServiceTargets.Count == 0 ? string.Empty
            : $"; {servicesPassed}/{report.ServiceResults.Count} Service probes (TCP) to {report.ServiceTargets.Count} frontends of {report.ServiceTargets.Select(t => t.Service).Distinct(StringComparer.Ordinal).Count()} Services";
        if (report.Passed)
        {
            AnsiConsole.MarkupLine($"[green]PASS[/]: {passed}/{report.Results.Count} pairs (ping and TCP) between {report.Endpoints.Count(e => e.Kind == "pod")} pods and {report.Endpoints.Count(e => e.Kind == "host")} node hosts{blockedNote}{services}");
        }
        else
        {
            AnsiConsole.MarkupLine(report.Results.Count == 0
                ? "[red]FAIL[/]: nothing to probe (no running pods?)"
                : $"[red]FAIL[/]: {passed}/{report.Results.Count} pairs passed{blockedNote}{services}{NotProbedNote(report)}");
        }

        return report.Passed ? 0 : 1;
    }

    // Every probe can pass while the check still fails because some pod could not be probed at all (no IP
    // yet, terminating, no sandbox record): the verdict line says so, not only the lines above the matrix.
    private static string NotProbedNote(CheckReport report) => report.Problems.Count == 0
        ? string.Empty
        : $"; {report.Problems.Count} not probed (listed above)";

    /// <summary>Rows: pods and node hosts; columns: ClusterIP:port and each NodePort on each node IP.</summary>
    private static void WriteServiceMatrix(CheckReport report)
    {
        if (report.ServiceTargets.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Services (row → column): TCP handshake through the ClusterIP and every NodePort");
            table.AddColumn("from \\ to");
            foreach (var t in report.ServiceTargets)
            {
                table.AddColumn(new TableColumn($"{Markup.Escape(LabConsole.Short(t.Label))}\n[grey]{t.Ip}:{t.Port}[/]").Centered());
            }

            foreach (var from in report.Endpoints)
            {
                var cells = new List<string> { $"{Markup.Escape(LabConsole.Short(from.Label))} [grey]({from.Node})[/]" };
                foreach (var to in report.ServiceTargets)
                {
                    var r = report.ServiceResults.FirstOrDefault(x => x.From == from.Label && x.To == to.Label);
                    cells.Add(r is null ? "[grey]-[/]" : r.Tcp ? "[green]ok[/]" : "[red]tcp FAIL[/]");
                }

                table.AddRow(cells.ToArray());
            }

            AnsiConsole.Write(table);
        }

        foreach (var s in report.ServicesSkipped)
        {
            AnsiConsole.MarkupLine($"[grey]service not probed:[/] {Markup.Escape(s)}");
        }
    }
}
