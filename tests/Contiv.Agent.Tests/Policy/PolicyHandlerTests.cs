using Contiv.Agent.Policy;
using Contiv.Agent.Tests.Services;
using Contiv.Model.Vpp;
using static Contiv.Agent.Tests.Policy.PolicyBuilders;
using static Contiv.Agent.Tests.Policy.PolicyHandlerWorld;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Tests.Policy;

/// <summary>
/// The policy handler in the real event loop over the real ACL descriptor: the ACLs of SPEC §3.3 (with our
/// reflection deviation), incremental commits that put only what changed, ordering against the pods' TAPs, restart.
/// </summary>
public sealed class PolicyHandlerTests : IDisposable
{
    private const string Web = "10.1.1.2", Db = "10.1.1.3", Client = "10.1.1.4";
    private static readonly string[] Outputs = ["eth1", "tap-vpp2", "vxlanBVI"];
    private readonly PolicyHandlerWorld _w = new();

    public void Dispose() => _w.Dispose();

    private static KsrPolicy DbFromWeb() => NetPol("default", "db-from-web", Sel(("app", "db"))).Ingress([Tcp(5432)], PodPeer(Sel(("app", "web"))));

    private async Task StartAsync(params KsrPolicy[] policies)
    {
        foreach (var (ip, app) in new[] { (Web, "web"), (Db, "db"), (Client, "client") })
        {
            _w.Seed("pod", PodKey(ip), PodRecord(ip, ("app", app)));
            _w.SeedLocalPod(ip);
        }

        foreach (var p in policies)
        {
            _w.Seed("policy", PolicyKey(p.Name), p);
        }

        await _w.ResyncAsync();
    }

    private static Acl TableOf(Dictionary<string, Acl> acls, string tap) =>
        Assert.Single(acls.Values, a => a.Name != AclRenderer.ReflectionName && a.EgressInterfaces.Contains(tap));

    [Fact]
    public async Task Resync_applies_the_pods_table_on_its_tap_egress_and_reflection_on_every_ingress()
    {
        await StartAsync(DbFromWeb());

        var acls = _w.Acls;
        Assert.Empty(_w.Dataplane.Violations);
        var table = TableOf(acls, TapOf(Db));
        Assert.StartsWith("contiv-policy-", table.Name, StringComparison.Ordinal);
        Assert.Equal([TapOf(Db)], table.EgressInterfaces);
        Assert.Empty(table.IngressInterfaces);
        Assert.Equal(
            [
                new AclRule { Action = AclAction.Reflect, SourceNetwork = "10.1.1.2/32", Protocol = 6, DstPortLower = 5432, DstPortUpper = 5432 },
                new AclRule { Action = AclAction.Reflect, SourceNetwork = "10.1.1.254/32" },
                new AclRule { Action = AclAction.Deny },
            ],
            table.Rules);

        var reflection = acls[AclRenderer.ReflectionName];
        Assert.Equal([new AclRule { Action = AclAction.Reflect }], reflection.Rules);
        Assert.Equal(new[] { TapOf(Web), TapOf(Db), TapOf(Client) }.Concat(Outputs).Order(StringComparer.Ordinal), reflection.IngressInterfaces.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { TapOf(Web), TapOf(Client) }.Order(StringComparer.Ordinal), reflection.EgressInterfaces.Order(StringComparer.Ordinal)); // the not isolated pods
        Assert.False(acls.ContainsKey(AclRenderer.GlobalName)); // no egress policy
    }

    [Fact]
    public async Task An_egress_policy_renders_the_node_global_table_on_the_output_interfaces()
    {
        var p = NetPol("default", "web-egress", Sel(("app", "web")), KsrPolicy.Types.PolicyType.Egress).Egress([Udp(53)]);
        await StartAsync(p);

        var global = _w.Acls[AclRenderer.GlobalName];
        Assert.Equal(Outputs.Order(StringComparer.Ordinal), global.EgressInterfaces.Order(StringComparer.Ordinal));
        Assert.Equal(
            [
                new AclRule { Action = AclAction.Permit, SourceNetwork = "10.1.1.2/32", Protocol = 17, DstPortLower = 53, DstPortUpper = 53 },
                new AclRule { Action = AclAction.Deny, SourceNetwork = "10.1.1.2/32" },
                new AclRule { Action = AclAction.Permit },
            ],
            global.Rules);

        // Local pods web may not reach get a DENY from web in their tables (pod-to-pod traffic never crosses the global table).
        var dbTable = TableOf(_w.Acls, TapOf(Db));
        Assert.Equal(new AclRule { Action = AclAction.Reflect, SourceNetwork = "10.1.1.2/32", Protocol = 17, DstPortLower = 53, DstPortUpper = 53 }, dbTable.Rules[0]);
        Assert.Equal(new AclRule { Action = AclAction.Deny, SourceNetwork = "10.1.1.2/32" }, dbTable.Rules[1]);
        Assert.Equal(new AclRule { Action = AclAction.Reflect }, dbTable.Rules[^1]);
        Assert.Equal(dbTable.Name, TableOf(_w.Acls, TapOf(Client)).Name); // db and client share the table
    }

    [Fact]
    public async Task A_restarted_agent_over_an_unchanged_data_plane_performs_no_operation()
    {
        await StartAsync(DbFromWeb());
        _w.Dataplane.Clear();

        using var restarted = new PolicyHandlerWorld(_w.Dataplane);
        foreach (var (k, v) in _w.Kube["pod"])
        {
            restarted.Seed("pod", k, v);
        }

        foreach (var (k, v) in _w.Kube["policy"])
        {
            restarted.Seed("policy", k, v);
        }

        foreach (var ip in new[] { Web, Db, Client })
        {
            restarted.SeedLocalPod(ip);
        }

        await restarted.ResyncAsync();

        Assert.Empty(_w.Dataplane.Log);
    }

    [Fact]
    public async Task Policy_add_and_delete_put_only_the_acls_that_change()
    {
        await StartAsync();
        _w.Dataplane.Clear();

        await _w.PutPolicyAsync(DbFromWeb());

        var log = _w.Dataplane.Log;
        Assert.Equal(2, log.Count); // the new table, the reflection ACL (db left its egress list)
        Assert.Contains(log, l => l.StartsWith("put acl contiv-policy-", StringComparison.Ordinal) && !l.Contains("REFLECTION", StringComparison.Ordinal));
        Assert.Contains("put acl contiv-policy-REFLECTION", log);
        var tableName = TableOf(_w.Acls, TapOf(Db)).Name;
        _w.Dataplane.Clear();

        await _w.ChangeAsync("policy", PolicyKey("db-from-web"), null);

        Assert.Equal(["delete acl " + tableName, "put acl contiv-policy-REFLECTION"], _w.Dataplane.Log.Order(StringComparer.Ordinal));
        Assert.Empty(_w.Dataplane.Violations);
    }

    [Fact]
    public async Task A_new_pod_joins_a_shared_table_in_the_same_batch_as_its_tap_and_leaves_it_before_its_tap_goes()
    {
        await StartAsync(DbFromWeb());
        var table = TableOf(_w.Acls, TapOf(Db)).Name;
        const string Db2 = "10.1.1.9";
        await _w.ChangeAsync("pod", PodKey(Db2), PodRecord(Db2, ("app", "db")));
        _w.Dataplane.Clear();

        await _w.AddPodAsync(Db2);

        var batch = Assert.Single(_w.Dataplane.Batches);
        Assert.Equal(new[] { "put if " + TapOf(Db2), "put acl " + AclRenderer.ReflectionName, "put acl " + table }.Order(StringComparer.Ordinal),
            batch.Select(RecordingDataplane.Describe).Order(StringComparer.Ordinal));
        Assert.Equal("put if " + TapOf(Db2), RecordingDataplane.Describe(batch[0]));
        Assert.Equal(new[] { TapOf(Db), TapOf(Db2) }.Order(StringComparer.Ordinal), _w.Acls[table].EgressInterfaces.Order(StringComparer.Ordinal));

        await _w.DeletePodAsync(Db2);

        Assert.Empty(_w.Dataplane.Violations);
        Assert.Equal([TapOf(Db)], _w.Acls[table].EgressInterfaces);
        Assert.DoesNotContain(TapOf(Db2), _w.Acls[AclRenderer.ReflectionName].IngressInterfaces);
    }

    [Fact]
    public async Task Relabelling_the_last_pod_of_a_table_deletes_the_table()
    {
        await StartAsync(DbFromWeb());
        var table = TableOf(_w.Acls, TapOf(Db)).Name;

        await _w.ChangeAsync("pod", PodKey(Db), PodRecord(Db, ("app", "cache")));

        Assert.False(_w.Acls.ContainsKey(table));
        Assert.Contains(TapOf(Db), _w.Acls[AclRenderer.ReflectionName].EgressInterfaces);
    }
}
