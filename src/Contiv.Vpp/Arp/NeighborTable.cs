using System.Diagnostics;
using Contiv.Vpp.Ethernet;

namespace Contiv.Vpp.Arp;

/// <summary>Why the neighbour table refused to queue a packet or create an entry.</summary>
internal enum NeighborRefusal
{
    /// <summary>Not refused.</summary>
    None,
    /// <summary>The interface holds <see cref="NeighborTable.MaxDynamicPerInterface"/> dynamic neighbours.</summary>
    TableFull,
    /// <summary><see cref="NeighborTable.MaxPendingBuffers"/> buffers already wait for resolution.</summary>
    QueueFull,
}

/// <summary>An IPv4 neighbour (ARP entry).</summary>
public sealed class Neighbor
{
    internal Neighbor(int swIfIndex, uint ip)
    {
        SwIfIndex = swIfIndex;
        Ip = ip;
    }

    /// <summary>Interface.</summary>
    public int SwIfIndex { get; }

    /// <summary>Address (host order).</summary>
    public uint Ip { get; }

    /// <summary>MAC, or null while resolution is pending.</summary>
    public MacAddress? Mac { get; internal set; }

    /// <summary>Static entries never age and are not overwritten by learning.</summary>
    public bool Static { get; internal set; }

    /// <summary>Stopwatch timestamp of the last update.</summary>
    public long UpdatedTicks { get; internal set; }

    /// <summary>Stopwatch timestamp of the last ARP request sent while pending.</summary>
    internal long LastRequestTicks { get; set; }

    /// <summary>Packets waiting for resolution (buffer indices), oldest first.</summary>
    internal Queue<int>? Pending { get; set; }

    /// <summary>Seconds since the last update.</summary>
    public double AgeSeconds => Stopwatch.GetElapsedTime(UpdatedTicks).TotalSeconds;
}

/// <summary>
/// The neighbour (ARP) table and the adjacencies that hang off it. Written by workers (learning,
/// resolution) and the control thread, so every access takes <see cref="Lock"/>; the data path only
/// takes it on the slow paths (ARP packets, unresolved next hops). Adjacencies are published in an
/// append-only array so workers index them without the lock.
/// </summary>
public sealed class NeighborTable
{
    /// <summary>Packets queued per unresolved neighbour before the oldest is dropped.</summary>
    public const int MaxPending = 8;

    // Dynamic (learned or pending) entries per interface, and buffers queued over all neighbours:
    // what a pod can make the table hold, bounded by the caps below.
    private readonly Dictionary<int, int> _dynamicPerInterface = [];
    private int _pendingBuffers;

    /// <summary>
    /// Dynamic (learned or unresolved) neighbours an interface may hold; static ones are not counted.
    /// A pod answering ARP with random sender addresses cannot grow the table past it.
    /// </summary>
    public int MaxDynamicPerInterface { get; init; } = 1024;

    /// <summary>
    /// Buffers that may wait for address resolution over all neighbours (each neighbour also holds at
    /// most <see cref="MaxPending"/>): a pod spraying packets at many unresolved addresses cannot pin the pool.
    /// </summary>
    public int MaxPendingBuffers { get; init; } = 1024;

    /// <summary>Buffers waiting for resolution now. Caller holds <see cref="Lock"/>.</summary>
    public int PendingBuffers => _pendingBuffers;

    /// <summary>Dynamic neighbours of an interface now. Caller holds <see cref="Lock"/>.</summary>
    public int DynamicCount(int sw) => _dynamicPerInterface.GetValueOrDefault(sw);

    private bool AtDynamicCap(int sw) => _dynamicPerInterface.GetValueOrDefault(sw) >= MaxDynamicPerInterface;

    private void CountDynamic(int sw, int delta)
    {
        var n = _dynamicPerInterface.GetValueOrDefault(sw) + delta;
        if (n <= 0)
        {
            _dynamicPerInterface.Remove(sw);
        }
        else
        {
            _dynamicPerInterface[sw] = n;
        }
    }

    private readonly Dictionary<(int Sw, uint Ip), Neighbor> _neighbors = [];
    private readonly Dictionary<(int Sw, uint Ip), Adjacency> _adjByKey = [];
    private Adjacency?[] _adjs = new Adjacency?[64];
    private int _adjCount;
    private readonly Stack<int> _freeAdj = new();

    /// <summary>Guards neighbours and adjacency creation.</summary>
    public Lock Lock { get; } = new();

    /// <summary>Resolves the source MAC of an interface when building rewrites.</summary>
    internal Func<int, MacAddress> InterfaceMac { get; set; } = _ => MacAddress.Zero;

    /// <summary>The adjacency array (lock-free read).</summary>
    public Adjacency?[] Adjacencies => Volatile.Read(ref _adjs);

    /// <summary>Finds or creates the adjacency for (interface, next hop). Caller holds <see cref="Lock"/>.</summary>
    internal Adjacency GetOrCreateAdjacency(int sw, uint nextHop)
    {
        if (_adjByKey.TryGetValue((sw, nextHop), out var a))
        {
            return a;
        }

        var index = _freeAdj.Count > 0 ? _freeAdj.Pop() : _adjCount++;
        if (index >= _adjs.Length)
        {
            var bigger = new Adjacency?[_adjs.Length * 2];
            _adjs.AsSpan().CopyTo(bigger);
            Volatile.Write(ref _adjs, bigger);
        }

        a = new Adjacency(index, sw, nextHop);
        if (_neighbors.TryGetValue((sw, nextHop), out var n) && n.Mac is { } mac)
        {
            a.Rewrite = BuildRewrite(mac, InterfaceMac(sw));
        }

        _adjs[index] = a;
        _adjByKey[(sw, nextHop)] = a;
        return a;
    }

    /// <summary>Drops a FIB reference to an adjacency; frees it when unused (control thread, at the barrier).</summary>
    internal void Release(Adjacency a)
    {
        lock (Lock)
        {
            a.Refs--;
            if (a.Refs <= 0)
            {
                _adjByKey.Remove((a.SwIfIndex, a.NextHop));
                _adjs[a.Index] = null;
                _freeAdj.Push(a.Index);
            }
        }
    }

    /// <summary>Adds a FIB reference (control thread).</summary>
    internal Adjacency Acquire(int sw, uint nextHop)
    {
        lock (Lock)
        {
            var a = GetOrCreateAdjacency(sw, nextHop);
            a.Refs++;
            return a;
        }
    }

    /// <summary>Finds a neighbour. Caller holds <see cref="Lock"/>.</summary>
    internal Neighbor? Find(int sw, uint ip) => _neighbors.GetValueOrDefault((sw, ip));

    /// <summary>
    /// Adds or updates a neighbour with a MAC (static: from the API/CLI; dynamic: learned). A dynamic
    /// update never overwrites a static entry. Pending packets are moved to <paramref name="released"/>.
    /// Caller holds <see cref="Lock"/>.
    /// </summary>
    internal Neighbor? Update(int sw, uint ip, MacAddress mac, bool isStatic, List<int>? released)
    {
        if (!_neighbors.TryGetValue((sw, ip), out var n))
        {
            if (!isStatic && AtDynamicCap(sw))
            {
                return null; // learning refused: the interface holds its cap of dynamic neighbours
            }

            n = new Neighbor(sw, ip);
            _neighbors[(sw, ip)] = n;
            if (!isStatic)
            {
                CountDynamic(sw, 1);
            }
        }
        else if (n.Static && !isStatic)
        {
            n.UpdatedTicks = Stopwatch.GetTimestamp();
            return n;
        }
        else if (!n.Static && isStatic)
        {
            CountDynamic(sw, -1);
        }

        n.Static = isStatic;
        n.UpdatedTicks = Stopwatch.GetTimestamp();
        if (n.Mac != mac)
        {
            n.Mac = mac;
            if (_adjByKey.TryGetValue((sw, ip), out var a))
            {
                a.Rewrite = BuildRewrite(mac, InterfaceMac(sw));
            }
        }

        if (n.Pending is { Count: > 0 } q)
        {
            _pendingBuffers -= q.Count;
            while (q.Count > 0)
            {
                released?.Add(q.Dequeue());
            }
        }

        n.Pending = null;
        return n;
    }

    /// <summary>Removes a neighbour (control thread). Pending packets are returned for freeing.</summary>
    internal bool Remove(int sw, uint ip, List<int> released)
    {
        if (!_neighbors.Remove((sw, ip), out var n))
        {
            return false;
        }

        if (n.Pending is { } q)
        {
            _pendingBuffers -= q.Count;
            released.AddRange(q);
        }

        if (!n.Static)
        {
            CountDynamic(sw, -1);
        }

        if (_adjByKey.TryGetValue((sw, ip), out var a))
        {
            a.Rewrite = null;
            if (a.Refs <= 0)
            {
                // Created by the data path (glean, ARP learning), referenced by no route: reclaimed with
                // its neighbour, so neighbours coming and going do not grow the adjacency array.
                // A packet still carrying the index finds null (or a later adjacency) in ip4-rewrite.
                _adjByKey.Remove((sw, ip));
                _adjs[a.Index] = null;
                _freeAdj.Push(a.Index);
            }
        }

        return true;
    }

    /// <summary>
    /// Slow path of the data plane: returns the adjacency when (sw, ip) is resolved; otherwise queues the
    /// packet (creating a pending entry) and tells whether an ARP request should be sent now.
    /// Caller holds <see cref="Lock"/>. <paramref name="evicted"/> is a packet pushed out of a full queue, or -1.
    /// </summary>
    internal Adjacency? ResolveOrQueue(int sw, uint ip, int buffer, out bool sendRequest, out int evicted, out NeighborRefusal refused)
    {
        sendRequest = false;
        evicted = -1;
        refused = NeighborRefusal.None;
        if (_neighbors.TryGetValue((sw, ip), out var n) && n.Mac is not null)
        {
            return GetOrCreateAdjacency(sw, ip);
        }

        var now = Stopwatch.GetTimestamp();
        if (n is null)
        {
            if (AtDynamicCap(sw))
            {
                refused = NeighborRefusal.TableFull;
                return null;
            }

            n = new Neighbor(sw, ip) { UpdatedTicks = now };
            _neighbors[(sw, ip)] = n;
            CountDynamic(sw, 1);
        }

        n.Pending ??= new Queue<int>(MaxPending);
        if (n.Pending.Count >= MaxPending)
        {
            evicted = n.Pending.Dequeue();
            _pendingBuffers--;
        }
        else if (_pendingBuffers >= MaxPendingBuffers)
        {
            // Still send the request (rate limited below) so the address resolves; only the packet is refused.
            refused = NeighborRefusal.QueueFull;
        }

        if (refused == NeighborRefusal.None)
        {
            n.Pending.Enqueue(buffer);
            _pendingBuffers++;
        }

        // One request per pending entry per 250 ms.
        if (n.LastRequestTicks == 0 || Stopwatch.GetElapsedTime(n.LastRequestTicks).TotalMilliseconds >= 250)
        {
            n.LastRequestTicks = now;
            sendRequest = true;
        }

        return null;
    }

    /// <summary>Sets <paramref name="marks"/>[b] for every packet waiting for resolution (cold path). Caller holds <see cref="Lock"/>.</summary>
    internal void MarkPending(bool[] marks)
    {
        foreach (var n in _neighbors.Values)
        {
            if (n.Pending is { } q)
            {
                foreach (var b in q)
                {
                    marks[b] = true;
                }
            }
        }
    }

    /// <summary>Snapshot of every neighbour. Caller holds <see cref="Lock"/>.</summary>
    internal List<Neighbor> Snapshot() => [.. _neighbors.Values];

    /// <summary>
    /// Ages out dynamic entries not refreshed for <paramref name="maxAge"/> and unresolved entries
    /// older than 3 s; their pending packets are returned for freeing. Caller holds <see cref="Lock"/>.
    /// </summary>
    internal int Age(TimeSpan maxAge, List<int> released)
    {
        var victims = new List<(int, uint)>();
        foreach (var (k, n) in _neighbors)
        {
            var age = Stopwatch.GetElapsedTime(n.UpdatedTicks);
            if (!n.Static && ((n.Mac is null && age > TimeSpan.FromSeconds(3)) || (n.Mac is not null && age > maxAge)))
            {
                victims.Add(k);
            }
        }

        foreach (var (sw, ip) in victims)
        {
            Remove(sw, ip, released);
        }

        return victims.Count;
    }

    /// <summary>Rebuilds rewrites of an interface after its MAC changed. Caller holds <see cref="Lock"/>.</summary>
    internal void RefreshInterface(int sw)
    {
        foreach (var a in _adjByKey.Values)
        {
            if (a.SwIfIndex == sw && _neighbors.TryGetValue((sw, a.NextHop), out var n) && n.Mac is { } mac)
            {
                a.Rewrite = BuildRewrite(mac, InterfaceMac(sw));
            }
        }
    }

    /// <summary>Removes every neighbour and adjacency of an interface (interface deletion). Caller holds <see cref="Lock"/>.</summary>
    internal void RemoveInterface(int sw, List<int> released)
    {
        var keys = new List<(int, uint)>();
        foreach (var k in _neighbors.Keys)
        {
            if (k.Sw == sw)
            {
                keys.Add(k);
            }
        }

        foreach (var (s, ip) in keys)
        {
            Remove(s, ip, released);
        }
    }

    private static byte[] BuildRewrite(MacAddress dst, MacAddress src)
    {
        var rw = new byte[14];
        dst.Write(rw);
        src.Write(rw.AsSpan(6));
        rw[12] = 0x08;
        rw[13] = 0x00;
        return rw;
    }
}
