using System.Collections;
using Contiv.Init;

namespace Contiv.Stn.Tests;

/// <summary>SPEC §1.6: node stealInterface &gt; global stealInterface &gt; stealFirstNIC.</summary>
public sealed class StnInterfaceChoiceTests : IDisposable
{
    private static readonly string[] Links = ["lo", "docker0", "virbr0", "ens3", "ens4"];
    private readonly string _file = Path.GetTempFileName();

    [Fact]
    public void The_node_section_wins_over_the_global_name_and_the_first_NIC()
    {
        var s = Load("""
            StealFirstNic: true
            stealinterface: ens4
            nodeConfig:
              - nodeName: node1
                stealInterface: eth9
            """);

        Assert.Equal("eth9", StnInterfaceChoice.Decide(s, "node1", () => Links));
        Assert.Equal("ens4", StnInterfaceChoice.Decide(s, "node2", () => Links));
    }

    [Fact]
    public void StealFirstNIC_takes_the_first_link_that_is_not_loopback_libvirt_or_docker()
    {
        var s = Load("stealFirstNIC: true");

        Assert.Equal("ens3", StnInterfaceChoice.Decide(s, "node1", () => Links));
        Assert.Null(StnInterfaceChoice.Decide(s, "node1", () => ["lo", "docker0"]));
    }

    [Fact]
    public void Without_any_knob_STN_is_off_and_the_links_are_not_even_listed()
    {
        var s = Load("mtuSize: 1450");

        Assert.Null(StnInterfaceChoice.Decide(s, "node1", () => throw new InvalidOperationException("links listed")));
        Assert.Equal("/var/run/contiv/stn.sock", s.StnSocketFile);
    }

    [Fact]
    public void Environment_overrides_the_file_and_bad_values_name_the_key()
    {
        File.WriteAllText(_file, "stealInterface: ens3\nstnSocketFile: /run/a.sock");
        var s = StnSettings.Load(_file, new Hashtable { ["CONTIV_stealInterface"] = "ens4" });
        File.WriteAllText(_file, "stealFirstNIC: maybe");
        var bad = Assert.Throws<InvalidDataException>(() => StnSettings.Load(_file, new Hashtable()));

        Assert.Equal("ens4", StnInterfaceChoice.Decide(s, "node1", () => Links));
        Assert.Equal("/run/a.sock", s.StnSocketFile);
        Assert.Contains("stealFirstNIC must be true or false", bad.Message, StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(_file);

    private StnSettings Load(string yaml)
    {
        File.WriteAllText(_file, yaml);
        return StnSettings.Load(_file, new Hashtable());
    }
}
