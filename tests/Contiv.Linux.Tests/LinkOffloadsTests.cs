using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class LinkOffloadsTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public void Tx_checksum_and_gro_switch_off_and_on_inside_the_namespace()
    {
        var name = _scope.Create("offl");
        Shell.Ip($"-n {name} link add o0 type veth peer name o1");
        using var ns = NetworkNamespace.Open(name);

        Assert.True(LinkOffloads.Get(ns, "o0", LinkOffload.TxChecksum));
        LinkOffloads.Set(ns, "o0", LinkOffload.TxChecksum, enabled: false);
        Assert.False(LinkOffloads.Get(ns, "o0", LinkOffload.TxChecksum));
        Assert.True(LinkOffloads.Get(ns, "o1", LinkOffload.TxChecksum)); // the peer is untouched

        LinkOffloads.Set(ns, "o0", LinkOffload.Gro, enabled: true);
        Assert.True(LinkOffloads.Get(ns, "o0", LinkOffload.Gro));
        LinkOffloads.Set(ns, "o0", LinkOffload.Gro, enabled: false);
        Assert.False(LinkOffloads.Get(ns, "o0", LinkOffload.Gro));
        LinkOffloads.Set(ns, "o0", LinkOffload.TxChecksum, enabled: true);
        Assert.True(LinkOffloads.Get(ns, "o0", LinkOffload.TxChecksum));

        // The link exists only inside the namespace.
        var e = Assert.Throws<NetlinkException>(() => LinkOffloads.Get(null, "o0", LinkOffload.TxChecksum));
        Assert.True(e.IsNotFound, e.Message);
    }
}
