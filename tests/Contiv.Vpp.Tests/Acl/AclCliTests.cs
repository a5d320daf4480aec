namespace Contiv.Vpp.Tests.Acl;

/// <summary>The acl-plugin CLI: building ACLs by hand, applying them, and the show views' layout.</summary>
public sealed class AclCliTests
{
    [Fact]
    public void An_acl_built_by_hand_prints_its_index_and_shows_in_vpp_layout()
    {
        using var t = new TwoPortDataplane();
        Assert.Equal("ACL index:0\n", t.Run("set acl-plugin acl permit+reflect src 10.0.0.0/24 dst 0.0.0.0/0 proto 6 dport 80, deny"));
        t.Run($"set acl-plugin interface {t.Pg1.Name} input acl 0");
        var sw = t.Pg1.SwIfIndex;
        Assert.Equal(
            "acl-index 0 count 2 tag {cli}\n" +
            "          0: ipv4 permit+reflect src 10.0.0.0/24 dst 0.0.0.0/0 proto 6 sport 0-65535 dport 80\n" +
            "          1: ipv4 deny src 0.0.0.0/0 dst 0.0.0.0/0 proto 0 sport 0-65535 dport 0-65535\n" +
            $"  applied inbound on sw_if_index: {sw}\n" +
            "  used in lookup context index: 0\n",
            t.Run("show acl-plugin acl"));
        Assert.Equal($"sw_if_index {sw}:\n  input acl(s): 0\n", t.Run($"show acl-plugin interface sw_if_index {sw}"));
        Assert.Contains($"sw_if_index {t.Pg0.SwIfIndex}:\nsw_if_index {sw}:\n  input acl(s): 0\n", t.Run("show acl-plugin interface"), StringComparison.Ordinal);
    }

    [Fact]
    public void Index_replaces_an_acl_and_tag_names_it()
    {
        using var t = new TwoPortDataplane();
        t.Run("set acl-plugin acl deny src 10.0.0.2/32 dst 0.0.0.0/0");
        Assert.Equal("ACL index:1\n", t.Run("set acl-plugin acl permit src 10.0.0.0/8 dst 10.0.1.0/24 proto 17 sport 53 dport 1000-2000 tag dns"));
        Assert.Equal("ACL index:0\n", t.Run("set acl-plugin acl index 0 permit src 1.2.3.4/32 dst 0.0.0.0/0 proto 6 tcpflags 2 mask 18, deny tag web"));
        Assert.Equal(
            "acl-index 0 count 2 tag {web}\n" +
            "          0: ipv4 permit src 1.2.3.4/32 dst 0.0.0.0/0 proto 6 sport 0-65535 dport 0-65535 tcpflags 2 mask 18\n" +
            "          1: ipv4 deny src 0.0.0.0/0 dst 0.0.0.0/0 proto 0 sport 0-65535 dport 0-65535\n",
            t.Run("show acl-plugin acl index 0"));
        Assert.Contains("          0: ipv4 permit src 10.0.0.0/8 dst 10.0.1.0/24 proto 17 sport 53 dport 1000-2000\n", t.Run("show acl-plugin acl index 1"), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_name_the_bad_input()
    {
        using var t = new TwoPortDataplane();
        Assert.Equal("set acl-plugin acl: expected src <a.b.c.d/len>, got `10.0.0.1'\n", t.Cli.Execute("set acl-plugin acl permit src 10.0.0.1").Output);
        Assert.Equal("set acl-plugin acl: dport range `90-80' is reversed\n", t.Cli.Execute("set acl-plugin acl permit dport 90-80").Output);
        Assert.Equal("set acl-plugin acl: expected permit, deny or permit+reflect\n", t.Cli.Execute("set acl-plugin acl src 0.0.0.0/0").Output);
        Assert.Equal("set acl-plugin interface: ACL index 3 does not exist\n", t.Cli.Execute($"set acl-plugin interface {t.Pg0.Name} input acl 3").Output);
        t.Run("set acl-plugin acl deny");
        t.Run($"set acl-plugin interface {t.Pg0.Name} output acl 0");
        Assert.Equal("delete acl-plugin acl: ACL index 0 is applied to an interface\n", t.Cli.Execute("delete acl-plugin acl index 0").Output);
        t.Run($"set acl-plugin interface {t.Pg0.Name} output acl 0 del");
        t.Run("delete acl-plugin acl index 0");
        Assert.Equal(string.Empty, t.Run("show acl-plugin acl"));
        Assert.Equal("delete acl-plugin acl: ACL index 0 does not exist\n", t.Cli.Execute("delete acl-plugin acl index 0").Output);
    }

    [Fact]
    public void Session_timeouts_and_clearing_are_set_from_the_cli()
    {
        using var t = new TwoPortDataplane();
        t.Run("set acl-plugin session timeout udp idle 30");
        t.Run("set acl-plugin session timeout tcp idle 3600");
        t.Run("set acl-plugin session timeout tcp transient 60");
        t.Run("set acl-plugin session timeout tcp closed 5");
        t.Run("set acl-plugin session timeout icmp idle 20");
        Assert.Equal(new Contiv.Vpp.Acl.AclTimeouts { Udp = 30, TcpEstablished = 3600, TcpTransitory = 60, TcpClosed = 5, Icmp = 20 }, t.Dp.AclTimeouts);
        Assert.Equal(string.Empty, t.Run("clear acl-plugin sessions"));
        Assert.StartsWith("Sessions total: add 0 - del 0 = 0\n", t.Run("show acl-plugin sessions"), StringComparison.Ordinal);
    }
}
