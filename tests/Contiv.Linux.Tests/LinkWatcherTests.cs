using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class LinkWatcherTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public async Task Add_up_down_and_delete_are_reported_in_order()
    {
        var name = _scope.Create("watch");
        using var ns = NetworkNamespace.Open(name);
        using var watcher = LinkWatcher.Start(ns);
        Assert.Equal(["lo"], watcher.InitialLinks.Select(l => l.Name));

        // Changes made by another tool (ip) in that namespace. The carrier of a veth changes asynchronously
        // (the kernel's linkwatch work runs later, up to a second under load), so each step waits until the
        // watcher reported the previous one; otherwise an up followed at once by a down may never show carrier.
        var seen = new List<LinkEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        async Task WaitFor(LinkEventKind kind, int count)
        {
            while (seen.Count(x => x.Kind == kind) < count)
            {
                var e = await watcher.Events.ReadAsync(timeout.Token);
                if (e.Link.Name is "w0" or "w1")
                {
                    seen.Add(e);
                }
            }
        }

        Shell.Ip($"-n {name} link add w0 type veth peer name w1");
        Shell.Ip($"-n {name} link set w1 up");
        Shell.Ip($"-n {name} link set w0 up");
        await WaitFor(LinkEventKind.Up, 2);
        Shell.Ip($"-n {name} link set w0 down");
        await WaitFor(LinkEventKind.Down, 2);
        Shell.Ip($"-n {name} link del w0");
        await WaitFor(LinkEventKind.Deleted, 2);

        var w0 = seen.Where(e => e.Link.Name == "w0").Select(e => e.Kind).Where(k => k != LinkEventKind.Changed).ToList();
        Assert.Equal([LinkEventKind.Added, LinkEventKind.Up, LinkEventKind.Down, LinkEventKind.Deleted], w0);
        var w1 = seen.Where(e => e.Link.Name == "w1").Select(e => e.Kind).Where(k => k != LinkEventKind.Changed).ToList();

        // w1 is up but has no carrier until w0 comes up; it loses it again when w0 goes down.
        Assert.Equal([LinkEventKind.Added, LinkEventKind.Up, LinkEventKind.Down, LinkEventKind.Deleted], w1);
    }

    [RootFact]
    public void Dispose_completes_the_stream_and_other_namespaces_are_not_reported()
    {
        var name = _scope.Create("watch2");
        var other = _scope.Create("other");
        using var ns = NetworkNamespace.Open(name);
        var watcher = LinkWatcher.Start(ns);
        Shell.Ip($"-n {other} link add o0 type veth peer name o1");
        Thread.Sleep(200);
        watcher.Dispose();
        var events = new List<LinkEvent>();
        while (watcher.Events.TryRead(out var e))
        {
            events.Add(e);
        }

        Assert.Empty(events);
        Assert.True(watcher.Events.Completion.Wait(TimeSpan.FromSeconds(5)));
    }

    [RootFact]
    public async Task A_tap_moved_between_namespaces_is_deleted_in_one_and_added_in_the_other()
    {
        using var vsw = NetworkNamespace.Open(_scope.Create("evvsw"));
        using var pod = NetworkNamespace.Open(_scope.Create("evpod"));
        using var vswWatch = LinkWatcher.Start(vsw);
        using var podWatch = LinkWatcher.Start(pod);
        using var tap = TapDevice.Open(new TapOptions { Name = "ctevtap" }, vsw);
        using (var nl = RtNetlink.Open(vsw))
        {
            nl.MoveLink(tap.InterfaceIndex, pod, "eth0");
        }

        using (var nl = RtNetlink.Open(pod))
        {
            nl.SetLinkUp("eth0");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal([LinkEventKind.Added, LinkEventKind.Deleted], (await Next(vswWatch, "ctevtap", 2, timeout.Token)).Select(e => e.Kind));
        // The kernel announces the link in the pod under its old name, then the rename (a Changed event).
        var inPod = await Next(podWatch, null, 2, timeout.Token);
        Assert.Equal([LinkEventKind.Added, LinkEventKind.Up], inPod.Select(e => e.Kind));
        Assert.Equal("eth0", inPod[1].Link.Name);
        Assert.Equal(inPod[0].Link.Index, inPod[1].Link.Index);
    }

    private static async Task<List<LinkEvent>> Next(LinkWatcher watcher, string? name, int count, CancellationToken ct)
    {
        var kinds = new List<LinkEvent>();
        await foreach (var e in watcher.ReadAllAsync(ct))
        {
            if ((name is null ? e.Link.Name != "lo" : e.Link.Name == name) && e.Kind != LinkEventKind.Changed)
            {
                kinds.Add(e);
                if (kinds.Count == count)
                {
                    break;
                }
            }
        }

        return kinds;
    }
}
