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
                results = report.Results.Select(r => new { r.From, r.To, r.Target, r.Ping, r.Tcp }),
                problems = report.Problems,
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
}
