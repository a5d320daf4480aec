using System.Text.Json;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.Rest;
using Contiv.Agent.Scheduler;

namespace Contiv.Agent.Tests.Rest;

/// <summary><c>/scheduler/dump?descriptor=linux-interface</c>: linux-address items grouped per interface.</summary>
public class LinuxInterfaceViewTests
{
    [Fact]
    public void Addresses_are_grouped_per_namespace_and_interface_in_protobuf_json_field_names()
    {
        var vpp1 = new LinuxAddress("", "vpp1", "172.30.1.2/24", "vpp/interface/tap-vpp2");
        var pod = new LinuxAddress("/run/netns/pod-a", "eth0", "10.1.1.2/32", "vpp/interface/vpp-tap-a");
        var second = new LinuxAddress("", "vpp1", "172.30.1.9/24", "vpp/interface/tap-vpp2");
        var items = new Dictionary<string, object>
        {
            [LinuxKeys.Address(vpp1)] = vpp1,
            [LinuxKeys.Address(pod)] = pod,
            [LinuxKeys.Address(second)] = second,
        };

        var view = LinuxInterfaceView.From(items);

        Assert.Equal(["linux/interface/host/vpp1", "linux/interface/run/netns/pod-a/eth0"], view.Keys);
        var json = ValueJson.Format(view["linux/interface/host/vpp1"]);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("vpp1", doc.RootElement.GetProperty("host_if_name").GetString());
        Assert.Equal("host", doc.RootElement.GetProperty("namespace").GetString());
        Assert.Equal(["172.30.1.2/24", "172.30.1.9/24"], doc.RootElement.GetProperty("ip_addresses").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void No_addresses_give_an_empty_view()
        => Assert.Empty(LinuxInterfaceView.From(new Dictionary<string, object>()));
}
