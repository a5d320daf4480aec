using Contiv.Vpp.Daemon;
using Contiv.Vpp.Interfaces;

namespace Contiv.Vpp.Tests;

public sealed class DaemonOptionsTests
{
    [Fact]
    public void Af_packet_rx_ring_depth_has_a_default_and_is_set_by_option_and_config_file_within_bounds()
    {
        Assert.Equal(64, DaemonOptions.Parse([], out _).AfPacketRxFrames);
        Assert.Equal(256, DaemonOptions.Parse(["--af-packet-rx-frames", "256"], out _).AfPacketRxFrames);
        Assert.Throws<ArgumentException>(() => DaemonOptions.Parse(["--af-packet-rx-frames", (AfPacketDevice.MinRxFrames - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)], out _));
        Assert.Throws<ArgumentException>(() => DaemonOptions.Parse(["--af-packet-rx-frames", (AfPacketDevice.MaxRxFrames + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)], out _));

        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"afPacketRxFrames": 32}""");
            Assert.Equal(32, DaemonOptions.Parse(["-c", file], out _).AfPacketRxFrames);
            // The command line wins over the file.
            Assert.Equal(128, DaemonOptions.Parse(["-c", file, "--af-packet-rx-frames", "128"], out _).AfPacketRxFrames);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Batched_tap_reads_are_the_default_and_tap_queue_length_is_an_option()
    {
        var d = DaemonOptions.Parse([], out _);
        Assert.True(d.BatchRx);
        Assert.True(new DataplaneOptions().BatchRx);
        Assert.Equal(0, d.TapTxQueueLength);
        Assert.False(DaemonOptions.Parse(["--no-batch-rx"], out _).BatchRx);
        Assert.Equal(4096, DaemonOptions.Parse(["--tap-txqueuelen", "4096"], out _).TapTxQueueLength);
        Assert.Throws<ArgumentException>(() => DaemonOptions.Parse(["--tap-txqueuelen", "-1"], out _));
    }
    [Fact]
    public void Spin_after_traffic_is_5_microseconds_by_default_and_set_by_option()
    {
        Assert.Equal(5, DaemonOptions.Parse([], out _).SpinMicroseconds);
        Assert.Equal(5, new DataplaneOptions().SpinMicroseconds);
        Assert.Equal(0, DaemonOptions.Parse(["--spin-us", "0"], out _).SpinMicroseconds);
        Assert.Equal(50, DaemonOptions.Parse(["--spin-us", "50"], out _).SpinMicroseconds);
        Assert.Throws<ArgumentException>(() => DaemonOptions.Parse(["--spin-us", "-1"], out _));
        Assert.Contains("--spin-us <n>             keep polling n µs after traffic before sleeping       [5]", DaemonOptions.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Workers_and_multi_queue_come_from_options_the_config_files_cpu_section_and_the_environment()
    {
        var d = DaemonOptions.Parse([], out _);
        Assert.False(d.MultiQueue);
        Assert.False(new DataplaneOptions().MultiQueue);
        Assert.True(DaemonOptions.Parse(["--multi-queue"], out _).MultiQueue);
        Assert.False(DaemonOptions.Parse(["--multi-queue", "--no-multi-queue"], out _).MultiQueue);
        Assert.Equal(1, new DataplaneOptions { Workers = 2 }.RxQueuesPerInterface);
        Assert.Equal(2, new DataplaneOptions { Workers = 2, MultiQueue = true }.RxQueuesPerInterface);
        Assert.Equal(1, new DataplaneOptions { Workers = 2, MultiQueue = false }.RxQueuesPerInterface);
        Assert.Equal(1, new DataplaneOptions { Workers = 1 }.RxQueuesPerInterface);

        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"cpu": {"workers": 3, "multiQueue": false}}""");
            var f = DaemonOptions.Parse(["-c", file], out _);
            Assert.Equal(3, f.Workers);
            Assert.False(f.MultiQueue);
            Assert.True(DaemonOptions.Parse(["-c", file, "--multi-queue"], out _).MultiQueue);
            File.WriteAllText(file, """{"cpu": {"workers": 2, "cores": 4}}""");
            Assert.Contains("cpu.cores", Assert.Throws<ArgumentException>(() => DaemonOptions.Parse(["-c", file], out _)).Message, StringComparison.Ordinal);
            File.WriteAllText(file, """{"multiQueue": "maybe"}""");
            Assert.Throws<ArgumentException>(() => DaemonOptions.Parse(["-c", file], out _));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
