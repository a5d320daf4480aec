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
}
