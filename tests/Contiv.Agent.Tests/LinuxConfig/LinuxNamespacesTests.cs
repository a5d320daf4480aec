using Contiv.Agent.LinuxConfig;
using Contiv.Testing;

namespace Contiv.Agent.Tests.LinuxConfig;

/// <summary>The cache of netlink sockets in pod namespaces, used from several threads at once.</summary>
public sealed class LinuxNamespacesTests : IDisposable
{
    private readonly NetnsScope _ns = new();

    public void Dispose() => _ns.Dispose();

    [RootFact]
    public void Concurrent_use_with_eviction_always_reaches_the_right_namespace()
    {
        // More namespaces than the cache holds (16), so sockets are evicted while other threads use them.
        var names = Enumerable.Range(0, 24).Select(i => _ns.Create($"lns{i}")).ToList();
        for (var i = 0; i < names.Count; i++)
        {
            Shell.Ip($"-n {names[i]} link add ctmark{i} type veth peer name ctpeer{i}");
        }

        using var linux = new LinuxNamespaces(null);
        var errors = new List<string>();
        var threads = Enumerable.Range(0, 6).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            for (var n = 0; n < 300; n++)
            {
                var i = random.Next(names.Count);
                try
                {
                    var found = linux.With($"/var/run/netns/{names[i]}", nl => nl.FindLink($"ctmark{i}") is not null);
                    if (!found)
                    {
                        lock (errors)
                        {
                            errors.Add($"thread {t}: ctmark{i} not seen in {names[i]}");
                        }
                    }
                }
                catch (Exception e)
                {
                    lock (errors)
                    {
                        errors.Add($"thread {t}: {names[i]}: {e.GetType().Name}: {e.Message}");
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
    }

    [RootFact]
    public void A_namespace_recreated_under_the_same_path_gets_a_fresh_socket()
    {
        using var linux = new LinuxNamespaces(null);
        var name = _ns.Create("reuse");
        var path = $"/var/run/netns/{name}";
        Shell.Ip($"-n {name} link add ctold type veth peer name ctoldp");
        Assert.True(linux.With(path, nl => nl.FindLink("ctold") is not null));

        Shell.Run($"ip netns del {name}");
        Shell.Ip($"netns add {name}");
        Shell.Ip($"-n {name} link add ctnew type veth peer name ctnewp");
        Assert.True(linux.With(path, nl => nl.FindLink("ctnew") is not null && nl.FindLink("ctold") is null));
    }
}
