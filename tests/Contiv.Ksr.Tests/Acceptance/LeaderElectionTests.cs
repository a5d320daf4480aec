using Contiv.Model;

namespace Contiv.Ksr.Tests.Acceptance;

public sealed class LeaderElectionTests
{
    [Fact]
    public async Task Of_two_ksrs_only_the_leader_writes_and_the_other_takes_over_when_it_stops()
    {
        await using var lab = await KsrLab.StartAsync();
        var one = lab.StartKsr(lab.Settings("ksr-one"));
        await one.WaitSyncedAsync();
        var two = lab.StartKsr(lab.Settings("ksr-two"));
        await KsrLab.WaitUntilAsync(() => Task.FromResult(two.Runner.Election!.CandidateKey is not null), TimeSpan.FromSeconds(10), () => Task.FromResult("second KSR never campaigned"));
        var candidates = await lab.ListAsync(Keys.KsrElectionPrefix + "/");
        Assert.Equal(2, candidates.Count);
        Assert.Equal(["ksr-one", "ksr-two"], candidates.Values.Order(StringComparer.Ordinal));

        for (var i = 0; i < 10; i++)
        {
            await lab.CreatePodAsync("l" + i);
        }

        await lab.WaitForKeyAsync("/vnf-agent/contiv-ksr/k8s/pod/l9/namespace/default");
        await Task.Delay(500);
        Assert.True(one.Runner.IsLeader);
        Assert.False(two.Runner.IsLeader);
        Assert.Equal(0, two.Runner.Reflectors.Sum(r => r.Statistics.Adds + r.Statistics.Updates + r.Statistics.Deletes + r.Statistics.Resyncs));
        Assert.True(one.Runner.Reflectors.Single(r => r.Name == "Pod").Statistics.Adds >= 10);
        Assert.True(two.Runner.Reflectors.Single(r => r.Name == "Pod").InformerSynced); // warm standby

        await one.StopAsync(); // resigns: its lease is revoked
        await two.WaitSyncedAsync(TimeSpan.FromSeconds(15));
        await lab.CreatePodAsync("after-failover");
        await lab.WaitForKeyAsync("/vnf-agent/contiv-ksr/k8s/pod/after-failover/namespace/default");
        var twoPods = two.Runner.Reflectors.Single(r => r.Name == "Pod").Statistics;
        await KsrLab.WaitUntilAsync(() => Task.FromResult(twoPods.Adds == 1), TimeSpan.FromSeconds(5), () => Task.FromResult($"standby-turned-leader pod adds: {twoPods.Adds}"));
        Assert.Single(await lab.ListAsync(Keys.KsrElectionPrefix + "/"));
    }

    [Fact]
    public async Task Leader_cut_off_from_etcd_longer_than_its_lease_leads_again_and_reconciles()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr(lab.Settings("ksr-solo")); // election TTL 3 s
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("before-outage");
        await lab.WaitForKeyAsync(Keys.Pod("before-outage", "default"));

        await lab.Etcd.StopAsync();
        await lab.CreatePodAsync("during-outage");
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.False(ksr.Runner.Controller.Writable);
        await lab.Etcd.StartAgainAsync();

        await lab.WaitForKeyAsync(Keys.Pod("during-outage", "default"), _ => true, TimeSpan.FromSeconds(30));
        await ksr.WaitSyncedAsync(TimeSpan.FromSeconds(30));
        Assert.True(ksr.Runner.IsLeader);
        Assert.Single(await lab.ListAsync(Keys.KsrElectionPrefix + "/"));
    }
}
