using Contiv.Vpp.Cli;
using Prometheus;

namespace Contiv.Vpp.Daemon;

/// <summary>Prometheus gauges of interface counters, refreshed at every scrape.</summary>
internal static class InterfaceMetrics
{
    /// <summary>Registers the gauges and the before-collect refresh.</summary>
    public static void Register(Dataplane dp)
    {
        ArgumentNullException.ThrowIfNull(dp);
        string[] labels = ["interface", "dev_name"];
        var rxp = Metrics.CreateGauge("contiv_vpp_interface_rx_packets", "Packets received", labels);
        var rxb = Metrics.CreateGauge("contiv_vpp_interface_rx_bytes", "Bytes received", labels);
        var txp = Metrics.CreateGauge("contiv_vpp_interface_tx_packets", "Packets transmitted", labels);
        var txb = Metrics.CreateGauge("contiv_vpp_interface_tx_bytes", "Bytes transmitted", labels);
        var drops = Metrics.CreateGauge("contiv_vpp_interface_drops", "Packets dropped", labels);
        var ip4 = Metrics.CreateGauge("contiv_vpp_interface_ip4_packets", "IPv4 packets received", labels);
        var rxe = Metrics.CreateGauge("contiv_vpp_interface_rx_errors", "Receive errors", labels);
        var txe = Metrics.CreateGauge("contiv_vpp_interface_tx_errors", "Transmit errors", labels);
        var nobuf = Metrics.CreateGauge("contiv_vpp_interface_rx_no_buffer", "Packets lost for lack of buffers", labels);
        var txFull = Metrics.CreateGauge("contiv_vpp_interface_tx_queue_full", "Packets dropped because the device's transmit queue stayed full", labels);
        var freeBuffers = Metrics.CreateGauge("contiv_vpp_buffers_free", "Free packet buffers");
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var i in dp.Interfaces)
            {
                var c = CliEngine.SumCounters(dp, i.SwIfIndex);
                string[] l = [i.Name, i.DevName];
                rxp.WithLabels(l).Set(c.RxPackets);
                rxb.WithLabels(l).Set(c.RxBytes);
                txp.WithLabels(l).Set(c.TxPackets);
                txb.WithLabels(l).Set(c.TxBytes);
                drops.WithLabels(l).Set(c.Drops);
                ip4.WithLabels(l).Set(c.Ip4);
                rxe.WithLabels(l).Set(c.RxErrors);
                txe.WithLabels(l).Set(c.TxErrors);
                nobuf.WithLabels(l).Set(c.RxNoBuf);
                txFull.WithLabels(l).Set(c.TxQueueFull);
            }

            freeBuffers.Set(dp.Buffers.FreeCount);
        });
    }
}
