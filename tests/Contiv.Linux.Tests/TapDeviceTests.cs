using System.Text.Json;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class TapDeviceTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private static JsonElement IpLinkJson(string ns, string name)
        => JsonDocument.Parse(Shell.Ip($"-n {ns} -d -j link show dev {name}")).RootElement[0];

    [RootFact]
    public void Open_creates_the_tap_inside_the_chosen_namespace_with_vnet_header_and_queues()
    {
        var nsName = _scope.Create("tap");
        using var ns = NetworkNamespace.Open(nsName);
        using var tap = TapDevice.Open(new TapOptions
        {
            Name = "cttap0",
            VnetHeader = true,
            VnetHeaderSize = 12,
            Queues = 2,
            Offloads = TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6,
        }, ns);

        Assert.Equal("cttap0", tap.Name);
        Assert.Equal(2, tap.QueueHandles.Count);
        Assert.True(tap.Fd > 2);
        var json = IpLinkJson(nsName, "cttap0");
        Assert.Equal(tap.InterfaceIndex, json.GetProperty("ifindex").GetInt32());
        var data = json.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("tap", data.GetProperty("type").GetString());
        Assert.False(data.GetProperty("pi").GetBoolean());
        Assert.True(data.GetProperty("vnet_hdr").GetBoolean());
        Assert.True(data.GetProperty("multi_queue").GetBoolean());

        // Not in the caller's namespace.
        Assert.NotEqual(0, Shell.Run("ip link show dev cttap0").ExitCode);
        tap.SetOffload(TunOffloads.Checksum);
        tap.SetVnetHeaderSize(10);
    }

    [RootFact]
    public void Dispose_removes_the_device()
    {
        var nsName = _scope.Create("tapdel");
        using var ns = NetworkNamespace.Open(nsName);
        var tap = TapDevice.Open(new TapOptions { Name = "cttap1" }, ns);
        Assert.Equal(0, Shell.Run($"ip -n {nsName} link show dev cttap1").ExitCode);
        tap.Dispose();
        Assert.NotEqual(0, Shell.Run($"ip -n {nsName} link show dev cttap1").ExitCode);
    }

    [RootFact]
    public void Kernel_chosen_name_is_reported()
    {
        using var ns = NetworkNamespace.Open(_scope.Create("tapauto"));
        using var tap = TapDevice.Open(new TapOptions(), ns);
        Assert.StartsWith("tap", tap.Name, StringComparison.Ordinal);
        using var nl = RtNetlink.Open(ns);
        Assert.Equal(tap.Name, nl.GetLink(tap.InterfaceIndex).Name);
        Assert.Equal("tun", nl.GetLink(tap.InterfaceIndex).Kind);
    }

    [RootFact]
    public void Offloads_without_vnet_header_are_rejected_with_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => TapDevice.Open(new TapOptions { Offloads = TunOffloads.Tso4 }));
        Assert.Contains("Tso4", e.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Tun_mode_and_driver_features()
    {
        var features = TapDevice.GetDriverFeatures();
        Assert.NotEqual(0, features & 0x0002); // IFF_TAP
        Assert.NotEqual(0, features & 0x4000); // IFF_VNET_HDR
        var nsName = _scope.Create("tun");
        using var ns = NetworkNamespace.Open(nsName);
        using var tun = TapDevice.Open(new TapOptions { Name = "cttun0", Tun = true }, ns);
        var data = IpLinkJson(nsName, "cttun0").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("tun", data.GetProperty("type").GetString());
    }

    [RootFact]
    public void Opening_a_name_held_by_another_device_type_fails_with_the_name()
    {
        var nsName = _scope.Create("busy");
        Shell.Ip($"-n {nsName} link add ctbusy0 type veth peer name ctbusy1");
        using var ns = NetworkNamespace.Open(nsName);
        var e = Assert.Throws<NetlinkException>(() => TapDevice.Open(new TapOptions { Name = "ctbusy0" }, ns));
        Assert.Contains("tap create ctbusy0", e.Message, StringComparison.Ordinal);
        Assert.Equal(nsName, e.NamespaceName);
    }

    [RootFact]
    public void Exclusive_open_refuses_to_join_an_existing_tap_of_the_same_name()
    {
        var nsName = _scope.Create("excl");
        using var ns = NetworkNamespace.Open(nsName);
        using var first = TapDevice.Open(new TapOptions { Name = "ctexcl0", Queues = 2 }, ns);

        // Without Exclusive the kernel attaches another multi-queue open to the existing device ...
        using (var joined = TapDevice.Open(new TapOptions { Name = "ctexcl0", Queues = 2 }, ns))
        {
            Assert.Equal(first.InterfaceIndex, joined.InterfaceIndex);
        }

        // ... with it, the open fails with EBUSY and leaves the existing device alone.
        var e = Assert.Throws<NetlinkException>(() => TapDevice.Open(new TapOptions { Name = "ctexcl0", Queues = 2, Exclusive = true }, ns));
        Assert.Equal("EBUSY", e.ErrnoName);
        Assert.Contains("ctexcl0", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, Shell.Run($"ip -n {nsName} link show dev ctexcl0").ExitCode);

        // A free name is created as usual, in the chosen namespace only.
        using var fresh = TapDevice.Open(new TapOptions { Name = "ctexcl1", Exclusive = true }, ns);
        Assert.Equal(0, Shell.Run($"ip -n {nsName} link show dev ctexcl1").ExitCode);
        Assert.NotEqual(0, Shell.Run("ip link show dev ctexcl1").ExitCode);
    }
}
