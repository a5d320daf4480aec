using System.Diagnostics;
using System.Globalization;
using System.Text;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Trace;

/// <summary>
/// Packet traces captured on one thread (VPP's per-thread trace buffer). Cold path: records are
/// strings formatted when the packet passes a node. Bounded to <see cref="MaxPackets"/> packets.
/// </summary>
public sealed class TraceBuffer
{
    /// <summary>Upper bound of traced packets kept per thread.</summary>
    public const int MaxPackets = 10_000;

    private readonly WorkerContext _owner;
    private readonly List<List<(long Ticks, string Node, string Text)>> _packets = [];
    private readonly Lock _lock = new();

    internal TraceBuffer(WorkerContext owner) => _owner = owner;

    /// <summary>Number of traced packets.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _packets.Count;
            }
        }
    }

    /// <summary>Starts a packet trace and returns its handle (-1 when full: the packet is then not recorded).</summary>
    public int Begin()
    {
        lock (_lock)
        {
            if (_packets.Count >= MaxPackets)
            {
                return -1;
            }

            _packets.Add([]);
            return _packets.Count - 1;
        }
    }

    /// <summary>Adds a record (node name + text) to packet <paramref name="handle"/>.</summary>
    public void Add(int handle, string node, string text)
    {
        if (handle < 0)
        {
            return;
        }

        lock (_lock)
        {
            if (handle < _packets.Count)
            {
                _packets[handle].Add((Stopwatch.GetTimestamp(), node, text));
            }
        }
    }

    /// <summary>Forgets every trace.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _packets.Clear();
        }
    }

    /// <summary>Formats the traces like VPP's <c>show trace</c>, at most <paramref name="max"/> packets.</summary>
    public void Format(StringBuilder sb, int max, long startTicks)
    {
        lock (_lock)
        {
            sb.Append(CultureInfo.InvariantCulture, $"------------------- Start of thread {_owner.Index} {_owner.Name} -------------------\n");
            if (_packets.Count == 0)
            {
                sb.Append("No packets in trace buffer\n");
                return;
            }

            var n = Math.Min(max, _packets.Count);
            if (_packets.Count > max)
            {
                sb.Append(CultureInfo.InvariantCulture, $"Limiting display to {max} packets. To display more specify max.\n");
            }

            for (var i = 0; i < n; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"Packet {i + 1}\n\n");
                string? last = null;
                foreach (var (ticks, node, text) in _packets[i])
                {
                    if (!string.Equals(node, last, StringComparison.Ordinal))
                    {
                        sb.Append(FormatTime(ticks - startTicks)).Append(": ").Append(node).Append('\n');
                        last = node;
                    }

                    if (text.Length > 0)
                    {
                        foreach (var line in text.Split('\n'))
                        {
                            sb.Append("  ").Append(line).Append('\n');
                        }
                    }
                }

                sb.Append('\n');
            }
        }
    }

    private static string FormatTime(long ticks)
    {
        var us = ticks * 1_000_000 / Stopwatch.Frequency;
        var h = us / 3_600_000_000;
        var m = us / 60_000_000 % 60;
        var s = us / 1_000_000 % 60;
        return string.Create(CultureInfo.InvariantCulture, $"{h:00}:{m:00}:{s:00}:{us % 1_000_000:000000}");
    }
}
