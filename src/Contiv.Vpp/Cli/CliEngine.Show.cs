using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Contiv.Vpp.Arp;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Cli;

public sealed partial class CliEngine
{
    /// <summary>Version string of this build.</summary>
    public static string Version => typeof(Dataplane).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private void RegisterShow()
    {
        Register("show version", "show version [verbose]", ShowVersion);
        Register("show interface", "show interface [address|addr] [<interface> ...]", ShowInterface);
        Register("show hardware-interfaces", "show hardware-interfaces [brief] [<interface> ...]", ShowHardware);
        Register("show ip fib", "show ip fib [summary] [table <table-id>] [<ip4-addr>[/<mask>]]", ShowIpFib);
        Register("show ip neighbors", "show ip neighbors [interface]", ShowNeighbors);
        Register("show ip arp", "show ip arp (alias of show ip neighbors)", ShowNeighbors);
        Register("show ip table", "show ip table [<table-id>]", ShowIpTable);
        Register("show runtime", "show runtime [verbose]", ShowRuntime);
        Register("show errors", "show errors [verbose]", ShowErrors);
        Register("show node counters", "show node counters (alias of show errors)", ShowErrors);
        Register("show buffers", "show buffers", ShowBuffers);
        Register("show trace", "show trace [max COUNT]", ShowTrace);
        Register("show proxy-arp", "show proxy-arp", ShowProxyArp);
        Register("show threads", "show threads", ShowThreads);
    }

    private string ShowVersion(CliArgs a)
    {
        var built = File.GetLastWriteTimeUtc(typeof(Dataplane).Assembly.Location);
        var when = built.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        if (a.Keyword("verbose"))
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{"Version:",-26}v{Version}-contiv\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compiled by:",-26}contiv\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compile host:",-26}{Environment.MachineName}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compile date:",-26}{when}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compile location:",-26}{AppContext.BaseDirectory}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Compiler:",-26}.NET {Environment.Version}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"Current PID:",-26}{Environment.ProcessId}\n");
            return sb.ToString();
        }

        a.End();
        return $"vpp v{Version}-contiv built by contiv on {Environment.MachineName} at {when}";
    }

    private List<SwInterface> SelectInterfaces(CliArgs a)
    {
        var list = new List<SwInterface>();
        while (!a.AtEnd)
        {
            var t = a.Next("interface");
            var i = (uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) ? _dp.Interface((int)idx) : null)
                ?? _dp.FindInterface(t) ?? throw new CliException($"unknown input `{t}'");
            list.Add(i);
        }

        if (list.Count == 0)
        {
            list.AddRange(_dp.Interfaces);
        }

        list.Sort((x, y) => string.CompareOrdinal(x.DevName, y.DevName));
        return list;
    }

    /// <summary>Interface counters summed over every thread.</summary>
    public static InterfaceCounters SumCounters(Dataplane dp, int sw)
    {
        ArgumentNullException.ThrowIfNull(dp);
        var total = default(InterfaceCounters);
        foreach (var ctx in dp.Contexts)
        {
            var arr = ctx.IfCounters;
            if (sw < arr.Length)
            {
                total.Add(arr[sw]);
            }
        }

        return total;
    }

    private string ShowInterface(CliArgs a)
    {
        if (a.Keyword("address", "addr"))
        {
            return ShowInterfaceAddress(SelectInterfaces(a));
        }

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Center("Name", 32)}{Center("Idx", 5)}{Center("State", 10)}{Center("MTU (L3/IP4/IP6/MPLS)", 21)}{Center("Counter", 16)}{Center("Count", 16)}\n");
        foreach (var i in SelectInterfaces(a))
        {
            var c = SumCounters(_dp, i.SwIfIndex);
            var counters = new List<(string, long)>();
            void Add(string n, long v)
            {
                if (v != 0)
                {
                    counters.Add((n, v));
                }
            }

            Add("rx packets", c.RxPackets);
            Add("rx bytes", c.RxBytes);
            Add("tx packets", c.TxPackets);
            Add("tx bytes", c.TxBytes);
            Add("drops", c.Drops);
            Add("punt", c.Punts);
            Add("ip4", c.Ip4);
            Add("rx-no-buf", c.RxNoBuf);
            Add("rx-error", c.RxErrors);
            Add("tx-error", c.TxErrors);
            Add("tx-queue-full", c.TxQueueFull);
            var state = i.AdminUp ? "up" : "down";
            var mtu = $"{i.Mtu}/0/0/0";
            sb.Append(CultureInfo.InvariantCulture, $"{i.DevName,-32}{Center(i.SwIfIndex.ToString(CultureInfo.InvariantCulture), 5)}{Center(state, 10)}{Center(mtu, 21)}");
            if (counters.Count == 0)
            {
                sb.Append('\n');
                continue;
            }

            for (var k = 0; k < counters.Count; k++)
            {
                if (k > 0)
                {
                    sb.Append(new string(' ', 68));
                }

                sb.Append(CultureInfo.InvariantCulture, $"{counters[k].Item1,-16}{counters[k].Item2,16}\n");
            }
        }

        return sb.ToString();
    }

    private string ShowInterfaceAddress(List<SwInterface> list)
    {
        var sb = new StringBuilder();
        foreach (var i in list)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{i.DevName} ({(i.AdminUp ? "up" : "dn")}):\n");
            if (i.BridgeDomain >= 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  L2 bridge bd-id {BridgeDomainLabel(i.BridgeDomain)} idx {i.BridgeDomain} shg {i.SplitHorizonGroup}{(i.IsBvi ? " bvi" : string.Empty)}\n");
            }

            var table = _dp.FibArray[i.FibIndex]!;
            var vrf = i.FibIndex == 0 ? string.Empty : $" ip4 table-id {table.TableId} fib-idx {table.Index}";
            if (i.UnnumberedTo >= 0 && _dp.Interface(i.UnnumberedTo) is { } donor)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  unnumbered, use {donor.DevName}\n");
                foreach (var p in donor.Addresses)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"  L3 {p}{vrf}\n");
                }

                continue;
            }

            foreach (var p in i.Addresses)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  L3 {p}{vrf}\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>Hook for issue 5: the bridge-domain id shown for an index.</summary>
    internal Func<int, string> BridgeDomainLabel { get; set; } = i => i.ToString(CultureInfo.InvariantCulture);

    private string ShowHardware(CliArgs a)
    {
        var brief = a.Keyword("brief");
        _ = a.Keyword("verbose", "detail");
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Center("Name", 32)}{Center("Idx", 5)}{Center("Link", 7)}Hardware\n");
        foreach (var i in SelectInterfaces(a))
        {
            var link = i.OperUp ? "up" : "down";
            sb.Append(CultureInfo.InvariantCulture, $"{i.DevName,-32}{Center(i.HwIfIndex.ToString(CultureInfo.InvariantCulture), 5)}{Center(link, 7)}{i.DevName}\n");
            if (brief)
            {
                continue;
            }

            sb.Append("  Link speed: unknown\n");
            if (i.Device is { RxFd: >= 0 } && i.Worker is { } w)
            {
                sb.Append("  RX Queues:\n    queue thread         mode\n");
                sb.Append(CultureInfo.InvariantCulture, $"    0     {w.Context.Name} ({w.Context.Index})  {(_dp.Options.PollMode ? "polling" : "interrupt")}\n");
            }

            if (i.Kind != InterfaceKind.Local)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  Ethernet address {i.Mac}\n");
            }

            sb.Append("  ").Append(i.Device?.HardwareDescription ?? "local").Append('\n');
            if (i.Tap is { } t)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    host-if-name {t.HostIfName}{(t.HostNamespace.Length > 0 ? " host-ns " + t.HostNamespace : string.Empty)}\n");
            }
            else if (i.HostIfName is { } h)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    host-if-name {h}\n");
            }
        }

        return sb.ToString();
    }

    private string ShowIpFib(CliArgs a)
    {
        uint? tableId = null;
        Ip4Prefix? prefix = null;
        var summary = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("table"))
            {
                tableId = a.UInt("table id");
            }
            else if (a.Keyword("summary", "sum"))
            {
                summary = true;
            }
            else if (a.Keyword("detail", "mtrie", "memory"))
            {
                // accepted for compatibility
            }
            else
            {
                var t = a.Next("prefix");
                prefix = Ip4Prefix.TryParse(t, out var p) ? p : throw new CliException($"unknown input `{t}'");
            }
        }

        var tables = new List<FibTable>();
        foreach (var t in _dp.Tables)
        {
            if (tableId is null || t.TableId == tableId)
            {
                tables.Add(t);
            }
        }

        if (tableId is not null && tables.Count == 0)
        {
            throw new CliException($"no such table {tableId}");
        }

        var sb = new StringBuilder();
        return _dp.Exclusive(() =>
        {
            foreach (var t in tables)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{t.Name}, fib_index:{t.Index}, flow hash:[src dst sport dport proto flowlabel ] epoch:0 flags:none locks:[CLI:1, ]\n");
                if (summary)
                {
                    var byLen = new SortedDictionary<int, int>();
                    foreach (var e in t.Entries())
                    {
                        byLen[e.Length] = byLen.GetValueOrDefault(e.Length) + 1;
                    }

                    sb.Append("    Prefix length         Count\n");
                    foreach (var (len, n) in byLen.Reverse())
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"{len,16}{n,14}\n");
                    }

                    continue;
                }

                if (prefix is { } pf)
                {
                    var e = pf.Length == 32 ? t.Lookup(pf.Address) : (t.Get(pf.Network, pf.Length) ?? t.Lookup(pf.Address));
                    sb.Append(CultureInfo.InvariantCulture, $"{Ip4Address.Format(e.Network)}/{e.Length} fib:{t.Index} locks:1\n");
                    sb.Append(CultureInfo.InvariantCulture, $"  {SourceName(e.ActiveSource)} refs:1 src-flags:added,contributing,active,\n");
                    sb.Append(" forwarding:   unicast-ip4-chain\n");
                    AppendDpo(sb, e.Forwarding, "  ");
                    continue;
                }

                foreach (var e in t.Entries())
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{Ip4Address.Format(e.Network)}/{e.Length}\n  unicast-ip4-chain\n");
                    AppendDpo(sb, e.Forwarding, "  ");
                }
            }

            return sb.ToString();
        });
    }

    private static string SourceName(FibSource s) => s switch
    {
        FibSource.Interface => "interface",
        FibSource.Api => "API",
        _ => "default-route",
    };

    private void AppendDpo(StringBuilder sb, Dpo dpo, string indent)
    {
        var paths = dpo.Paths ?? [dpo];
        sb.Append(CultureInfo.InvariantCulture, $"{indent}[@0]: dpo-load-balance: [proto:ip4 buckets:{paths.Length} uRPF:0 to:[0:0]]\n");
        for (var k = 0; k < paths.Length; k++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{indent}  [{k}] {DescribeDpo(paths[k])}\n");
        }
    }

    private string DescribeDpo(Dpo d)
    {
        string If(int sw) => _dp.Interface(sw)?.DevName ?? $"sw_if_index {sw}";
        switch (d.Kind)
        {
            case DpoKind.Drop:
                return "[@0]: dpo-drop ip4";
            case DpoKind.Receive:
                return $"[@2]: dpo-receive: {Ip4Address.Format(d.Address)} on {If(d.SwIfIndex)}";
            case DpoKind.Glean:
                {
                    var i = _dp.Interface(d.SwIfIndex);
                    return $"[@4]: ipv4-glean: {If(d.SwIfIndex)}: mtu:{i?.Mtu} ffffffffffff{(i?.Mac.ToString() ?? string.Empty).Replace(":", string.Empty, StringComparison.Ordinal)}0806";
                }

            case DpoKind.LookupInTable:
                return $"[@3]: dst-address,unicast lookup in {_dp.FibArray[d.TableIndex]?.Name}";
            case DpoKind.Recursive:
                return $"[@6]: recursive via {Ip4Address.Format(d.Address)}";
            default:
                {
                    var adjs = _dp.Neighbors.Adjacencies;
                    var adj = (uint)d.AdjIndex < (uint)adjs.Length ? adjs[d.AdjIndex] : null;
                    if (adj is null)
                    {
                        return $"[@5]: adjacency {d.AdjIndex} (deleted)";
                    }

                    var rw = adj.Rewrite;
                    return rw is null
                        ? $"[@3]: arp-ipv4: via {Ip4Address.Format(adj.NextHop)} {If(adj.SwIfIndex)}"
                        : $"[@5]: ipv4 via {Ip4Address.Format(adj.NextHop)} {If(adj.SwIfIndex)}: mtu:{_dp.Interface(adj.SwIfIndex)?.Mtu} next:{adj.Index} {Convert.ToHexStringLower(rw)}";
                }
        }
    }

    private string ShowIpTable(CliArgs a)
    {
        uint? id = a.AtEnd ? null : a.UInt("table id");
        var sb = new StringBuilder();
        foreach (var t in _dp.Tables)
        {
            if (id is null || t.TableId == id)
            {
                sb.Append(CultureInfo.InvariantCulture, $"[{t.Index}] table_id:{t.TableId} {t.Name}\n");
            }
        }

        return sb.ToString();
    }

    private string ShowNeighbors(CliArgs a)
    {
        SwInterface? only = a.AtEnd ? null : a.Interface();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Center("Age", 12)}{Center("IP", 40)}{Center("Flags", 6)}{Center("Ethernet", 20)}{Center("Interface", 24)}\n");
        var list = _dp.NeighborSnapshot();
        list.Sort((x, y) => x.SwIfIndex != y.SwIfIndex ? x.SwIfIndex.CompareTo(y.SwIfIndex) : x.Ip.CompareTo(y.Ip));
        foreach (var n in list)
        {
            if (only is not null && n.SwIfIndex != only.SwIfIndex)
            {
                continue;
            }

            var flags = n.Mac is null ? "P" : n.Static ? "S" : "D";
            var mac = n.Mac?.ToString() ?? "00:00:00:00:00:00";
            sb.Append(CultureInfo.InvariantCulture, $"{n.AgeSeconds,12:F4}{Center(Ip4Address.Format(n.Ip), 40)}{Center(flags, 6)}{Center(mac, 20)}{_dp.Interface(n.SwIfIndex)?.DevName}\n");
        }

        return sb.ToString();
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

    private string ShowProxyArp(CliArgs a)
    {
        var sb = new StringBuilder("Proxy arps enabled for:\n");
        foreach (var r in _dp.ProxyArpRanges)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Fib_index {r.TableId}   {Ip4Address.Format(r.First)} - {Ip4Address.Format(r.Last)}\n");
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
}
