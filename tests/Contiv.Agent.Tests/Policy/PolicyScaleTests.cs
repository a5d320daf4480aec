using System.Diagnostics;
using System.Globalization;
using Contiv.Agent.Ipam;
using Contiv.Agent.Policy;
using Contiv.Linux;
using Xunit.Abstractions;
using static Contiv.Agent.Tests.Policy.PolicyBuilders;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Tests.Policy;

/// <summary>
/// The cost of 1 000 policies (docs/performance.md): the whole pipeline in one resync, then through the real handler,
/// scheduler and ACL descriptor into the (recording) data plane API, then one more policy incrementally.
/// World: 10 namespaces, 200 pods (40 on this node), 1 000 policies, each selecting one of 50 app labels and admitting
/// one of 20 roles (pod selector) or one namespace (namespace selector) on its own TCP port.
/// </summary>
public sealed class PolicyScaleTests(ITestOutputHelper output)
{
    private static IEnumerable<Model.Ksr.Pod> Pods()
    {
        for (var i = 0; i < 200; i++)
        {
            var ip = i < 40 ? $"10.1.1.{i + 2}" : $"10.1.{2 + (i / 200)}.{(i % 200) + 2}";
            yield return KsrPod($"ns{i % 10}", $"pod{i}", ip, ("app", $"app{i % 50}"), ("role", $"r{i % 20}"));
        }
    }

    private static KsrPolicy PolicyNo(int n)
    {
        var p = NetPol($"ns{n % 10}", $"p{n}", Sel(("app", $"app{n % 50}")));
        return n % 4 == 0
            ? p.Ingress([Tcp(1000 + n)], NsPeer(Sel(("name", $"ns{(n / 4) % 10}"))))
            : p.Ingress([Tcp(1000 + n)], PodPeer(Sel(("role", $"r{n % 20}"))));
    }

    private static List<Model.Ksr.Namespace> Namespaces() =>
        [.. Enumerable.Range(0, 10).Select(i => Ns($"ns{i}", ("name", $"ns{i}")))];

    [Fact]
    public void Thousand_policies_render_in_one_resync_and_one_more_renders_incrementally()
    {
        var policies = Enumerable.Range(0, 1000).Select(PolicyNo).ToList();
        var processor = new PolicyProcessor(PodSubnet, NatLoopback);
        var sw = Stopwatch.StartNew();
        processor.Resync(Pods(), Namespaces(), policies, new Dictionary<PodId, Ip4>());
        var cache = new PolicyRendererCache();
        cache.Update(processor.Rules);
        var taps = processor.Rules.Keys.ToDictionary(id => id, id => "vpp-tap-" + id.Name);
        var acls = AclRenderer.Render(cache, taps, ["eth1", "tap-vpp2", "vxlanBVI"]);
        var resync = sw.Elapsed;
        var rules = acls.Values.Sum(a => a.Rules.Count);

        sw.Restart();
        processor.UpdatePolicy(new PolicyId("ns3", "p1000"), PolicyNo(1003));
        cache.Update(processor.Rules);
        AclRenderer.Render(cache, taps, ["eth1", "tap-vpp2", "vxlanBVI"]);
        var incremental = sw.Elapsed;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"1000 policies, 40 local pods: resync {resync.TotalMilliseconds:F0} ms → {acls.Count} ACLs, {rules} rules, {cache.PodTables.Count} isolated pods; one more policy {incremental.TotalMilliseconds:F1} ms"));
        Assert.Equal(40, processor.Rules.Count);
        Assert.Equal(40, cache.PodTables.Count); // every local pod carries an app label some policy selects
        Assert.True(rules > 1000, $"only {rules} rules for 1000 policies");
        Assert.True(resync < TimeSpan.FromSeconds(10), $"resync of 1000 policies took {resync}");
        Assert.True(incremental < TimeSpan.FromSeconds(1), $"one more policy took {incremental}");
    }

    [Fact]
    public async Task Thousand_policies_reach_the_data_plane_api_through_the_scheduler()
    {
        using var w = new PolicyHandlerWorld();
        foreach (var p in Pods())
        {
            w.Seed("pod", $"k8s/pod/{p.Name}/namespace/{p.Namespace}", p);
        }

        foreach (var ns in Namespaces())
        {
            w.Seed("namespace", "k8s/namespace/" + ns.Name, ns);
        }

        for (var i = 0; i < 40; i++)
        {
            w.Ctx.LocalPods[new PodId($"pod{i}", $"ns{i % 10}")] = new PodManager.LocalPod($"pod{i}", $"ns{i % 10}", $"cid{i}", "/run/netns/x", "eth0", $"10.1.1.{i + 2}");
        }

        await w.ResyncAsync(); // pods, no policies yet
        w.Dataplane.Clear();

        var sw = Stopwatch.StartNew();
        for (var n = 0; n < 1000; n++)
        {
            var p = PolicyNo(n);
            w.Kube.Set("policy", $"k8s/policy/{p.Name}/namespace/{p.Namespace}", p);
        }

        await w.ResyncAsync();
        var elapsed = sw.Elapsed;

        var acls = w.Acls;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"1000 policies through handler + scheduler + ACL descriptor: {elapsed.TotalMilliseconds:F0} ms, {acls.Count} ACLs, {acls.Values.Sum(a => a.Rules.Count)} rules, {w.Dataplane.Batches.Count} batches"));
        Assert.Empty(w.Dataplane.Violations);
        Assert.Equal(w.Handler.Rendered.Count, acls.Count);
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"1000 policies took {elapsed}");
    }
}
