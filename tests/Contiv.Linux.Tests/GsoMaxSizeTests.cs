using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class GsoMaxSizeTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public void Gso_max_size_is_applied_as_ip_shows_it_and_bad_values_name_the_link()
    {
        var name = _scope.Create("gso");
        using var ns = NetworkNamespace.Open(name);
        using var nl = RtNetlink.Open(ns);
        nl.CreateVeth("g0", "g1");
        var g0 = nl.GetLinkIndex("g0");

        nl.SetGsoMaxSize(g0, 61481);

        Assert.Contains("gso_max_size 61481 ", Shell.Run($"ip -n {name} -d link show g0").StdOut, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => nl.SetGsoMaxSize(g0, 0));
        var e = Assert.Throws<NetlinkException>(() => nl.SetGsoMaxSize(g0, 1 << 30));
        Assert.Contains("gso_max_size", e.Message, StringComparison.Ordinal);
    }
}
