using System.Diagnostics;
using System.Globalization;
using System.Text;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using static Contiv.Vpp.Cli.CliFormat;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, trace and counters: show version/runtime/errors/buffers/trace/threads, trace add, clear trace/runtime/errors.</summary>
internal sealed class DiagnosticsCommands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("show version", "show version [verbose]", ShowVersion);
        cli.Register("show runtime", "show runtime [verbose]", ShowRuntime);
        cli.Register("show errors", "show errors [verbose]", ShowErrors);
        cli.Register("show node counters", "show node counters (alias of show errors)", ShowErrors);
        cli.Register("show buffers", "show buffers", ShowBuffers);
        cli.Register("show trace", "show trace [max COUNT]", ShowTrace);
        cli.Register("show threads", "show threads", ShowThreads);
        cli.Register("trace add", "trace add <input-graph-node> <add'l-pkts-for-node->", TraceAdd);
        cli.Register("clear trace", "Clear trace buffer and free memory", ClearTrace);
        cli.Register("clear runtime", "Clear node runtime statistics", ClearRuntime);
        cli.Register("clear errors", "Clear error counters", ClearErrors);
        cli.Register("clear node counters", "Clear error counters", ClearErrors);
    }

    private string ShowVersion(CliArgs a)
    {
        var built = CliEngine.BuildTime;
        var when = built.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        if (a.Keyword("verbose"))
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{"Version:",-26}v{CliEngine.Version}-contiv\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compiled by:",-26}contiv\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compile host:",-26}{Environment.MachineName}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compile date:",-26}{when}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compile location:",-26}{AppContext.BaseDirectory}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compiler:",-26}.NET {Environment.Version}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Current PID:",-26}{Environment.ProcessId}\n");
            return sb.ToString();
        }

        a.End();
        return $"vpp v{CliEngine.Version}-contiv built by contiv on {Environment.MachineName} at {when}";
    }

    private string ShowRuntime(CliArgs a)
    {
        var verbose = a.Keyword("verbose");
        _ = a.Keyword("max", "time", "summary");
        var sb = new StringBuilder();
        var elapsed = Stopwatch.GetElapsedTime(_dp.StartTicks).TotalSeconds;
        var first = true;
        foreach (var ctx in _dp.Contexts)
        {
            if (!first)
            {
                sb.Append("---------------\n");
            }

            first = false;
            if (ctx.Index > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"Thread {ctx.Index} {ctx.Name} (lcore {ctx.Index})\n");
            }

            long vin = 0, vdrop = 0;
            foreach (var n in _dp.Graph.Nodes)
            {
                var rt = ctx.Runtime[n.Index];
                if (n.Kind == NodeKind.Input)
                {
                    vin += rt.Vectors;
                }

                if (n.Index == _dp.ErrorDropIndex)
                {
                    vdrop += rt.Vectors;
                }
            }

            sb.Append(CultureInfo.InvariantCulture, $"Time {elapsed:F1}, average vectors/node 0.00, last 128 main loops 0.00 per node 0.00\n");
            sb.Append(CultureInfo.InvariantCulture, $"  vector rates in {Exp(vin / Math.Max(elapsed, 1e-9), 4)}, out {Exp((vin - vdrop) / Math.Max(elapsed, 1e-9), 4)}, drop {Exp(vdrop / Math.Max(elapsed, 1e-9), 4)}, punt 0.0000e0\n");
            sb.Append(CultureInfo.InvariantCulture, $"{Center("Name", 30)}{Center("State", 12)}{"Calls",16}{"Vectors",16}{"Suspends",16}{"Clocks",16}{"Vectors/Call",16}\n");
            var nodes = new List<GraphNode>(_dp.Graph.Nodes);
            nodes.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
            foreach (var n in nodes)
            {
                var rt = ctx.Runtime[n.Index];
                if (rt.Calls == 0 && !verbose)
                {
                    continue;
                }

                var state = n.Kind == NodeKind.Input ? (_dp.Options.PollMode ? "polling" : "interrupt wait") : "active";
                var clocks = rt.Vectors > 0 ? rt.Ticks * (1e9 / Stopwatch.Frequency) / rt.Vectors : 0;
                var vpc = rt.Calls > 0 ? (double)rt.Vectors / rt.Calls : 0;
                sb.Append(CultureInfo.InvariantCulture, $"{n.Name,-30}{Center(state, 12)}{rt.Calls,16}{rt.Vectors,16}{0,16}{Exp(clocks, 2),16}{vpc,16:F2}\n");
            }
        }

        return sb.ToString();
    }

    private string ShowErrors(CliArgs a)
    {
        var verbose = a.Keyword("verbose");
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{"Count",8}{Center("Node", 34)}{Center("Reason", 50)}{Center("Severity", 10)}\n");
        var errors = _dp.Graph.Errors;
        for (var e = 0; e < errors.Count; e++)
        {
            long total = 0;
            foreach (var ctx in _dp.Contexts)
            {
                total += ctx.ErrorCounters[e];
            }

            if (total == 0 && !verbose)
            {
                continue;
            }

            var (node, reason) = errors[e];
            sb.Append(CultureInfo.InvariantCulture, $"{total,10}{Center(node.Name, 32)}{Center(reason, 50)}{Center(Severity(reason), 10)}\n");
        }

        return sb.ToString();
    }

    /// <summary>Severity column: informational counters vs. drops.</summary>
    internal static string Severity(string reason)
        => reason.Contains("sent", StringComparison.Ordinal) || reason.Contains("received", StringComparison.Ordinal)
            || reason.Contains("queued", StringComparison.Ordinal) || reason.Contains("not ours", StringComparison.Ordinal)
            ? "info" : "error";

    private string ShowBuffers(CliArgs a)
    {
        var pool = _dp.Buffers;
        long cached = 0;
        foreach (var ctx in _dp.Contexts)
        {
            cached += ctx.Buffers.Cached;
        }

        var avail = pool.FreeCount;
        var used = pool.Count - avail - cached;
        return $"Pool Name            Index NUMA  Size  Data Size  Total  Avail  Cached   Used  \n" +
            $"default-numa-0         0     0   {BufferPool.BufferSize,-5} {BufferPool.DataSize,-9}  {pool.Count,-6} {avail,-6} {cached,-6}  {used,-6}\n";
    }

    private string ShowTrace(CliArgs a)
    {
        var max = 50;
        if (a.Keyword("max"))
        {
            max = (int)a.UInt("max count");
        }

        a.End();
        var sb = new StringBuilder();
        foreach (var ctx in _dp.Contexts)
        {
            ctx.Trace.Format(sb, max, _dp.StartTicks);
        }

        return sb.ToString();
    }

    private string ShowThreads(CliArgs a)
    {
        var sb = new StringBuilder("ID     Name                Type        LWP     Sched Policy (Priority)  lcore  Core   Socket State\n");
        foreach (var ctx in _dp.Contexts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{ctx.Index,-7}{ctx.Name,-20}{(ctx.Index == 0 ? string.Empty : "workers"),-12}\n");
        }

        return sb.ToString();
    }

    private string TraceAdd(CliArgs a)
    {
        var name = a.Next("input graph node");
        if (name is "virtio-input")
        {
            name = Dataplane.TapInputNodeName;
        }

        var node = _dp.Graph.Find(name) ?? throw new CliException($"node '{name}' not found");
        if (node.Kind != NodeKind.Input)
        {
            throw new CliException($"node '{name}' doesn't support per-node tracing. There may be another way to initiate trace on this node.");
        }

        var count = (int)a.UInt("packet count");
        a.End();
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                ctx.TraceBudget[node.Index] = count == 0 ? 0 : ctx.TraceBudget[node.Index] + count;
                ctx.TracingActive = true;
            }
        });
        return string.Empty;
    }

    private string ClearTrace(CliArgs a)
    {
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                Array.Clear(ctx.TraceBudget);
                ctx.TracingActive = false;
                ctx.Trace.Clear();
            }
        });
        return string.Empty;
    }

    private string ClearRuntime(CliArgs a)
    {
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                Array.Clear(ctx.Runtime);
            }
        });
        return string.Empty;
    }

    private string ClearErrors(CliArgs a)
    {
        _dp.Exclusive(() =>
        {
            foreach (var ctx in _dp.Contexts)
            {
                Array.Clear(ctx.ErrorCounters);
            }
        });
        return string.Empty;
    }
}
