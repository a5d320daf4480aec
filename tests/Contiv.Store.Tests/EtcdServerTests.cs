using Contiv.Testing;

namespace Contiv.Store.Tests;

/// <summary>The etcd fixture itself: the other tests rely on its stop/kill/restart/wipe semantics.</summary>
public sealed class EtcdServerTests
{
    [Fact]
    public async Task Data_survives_kill_and_start_again_on_the_same_port()
    {
        await using var etcd = await EtcdServer.StartAsync();
        var url = etcd.ClientUrl;
        await etcd.PutAsync("/a", "1");

        await etcd.KillAsync();
        Assert.False(etcd.IsRunning);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => etcd.GetAsync("/a"));

        await etcd.StartAgainAsync();
        Assert.Equal(url, etcd.ClientUrl);
        Assert.Equal("1", await etcd.GetAsync("/a"));
    }

    [Fact]
    public async Task Wipe_starts_empty_and_dispose_removes_the_data_directory()
    {
        string root;
        await using (var etcd = await EtcdServer.StartAsync())
        {
            root = etcd.DataRoot;
            await etcd.PutAsync("/a", "1");
            await etcd.RestartAsync();
            Assert.Equal("1", await etcd.GetAsync("/a"));

            await etcd.WipeAsync();
            Assert.Null(await etcd.GetAsync("/a"));
            Assert.True(Directory.Exists(root));
        }

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Etcd_and_its_data_go_away_when_the_owning_process_dies()
    {
        await using var etcd = await EtcdServer.StartAsync();
        var pid = etcd.ProcessId;
        Assert.NotNull(pid);
        Assert.True(File.Exists($"/proc/{pid}/cmdline"));

        etcd.SimulateOwnerDeath();

        var sw = System.Diagnostics.Stopwatch.StartNew();
        while ((File.Exists($"/proc/{pid}/cmdline") || Directory.Exists(etcd.DataRoot)) && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        Assert.False(File.Exists($"/proc/{pid}/cmdline"), $"etcd pid {pid} still running");
        Assert.False(Directory.Exists(etcd.DataRoot), $"{etcd.DataRoot} still exists");
    }

    [Fact]
    public async Task Compaction_and_prefix_delete_work_through_the_gateway()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await etcd.PutAsync("/p/1", "x");
        var rev = await etcd.PutAsync("/p/2", "y");
        Assert.Equal(rev, await etcd.CompactToCurrentAsync());
        Assert.Equal(2, await etcd.DeletePrefixAsync("/p/"));
        Assert.Null(await etcd.GetAsync("/p/1"));
    }
}
