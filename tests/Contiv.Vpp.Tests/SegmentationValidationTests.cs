using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Software segmentation only cuts super-frames whose header lengths are valid (they come from a pod).</summary>
public sealed class SegmentationValidationTests
{
    [Theory]
    [InlineData(0x50, 3)] // valid 20-byte TCP header: segmented
    [InlineData(0x20, 0)] // data offset 2 (8 bytes): shorter than a TCP header, not segmented
    [InlineData(0x00, 0)] // data offset 0
    public void A_tcp_super_frame_is_segmented_only_with_a_valid_header_length(byte dataOffset, int segments)
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        var tcp = new byte[20 + 3000];
        tcp[12] = dataOffset;
        tcp[13] = 0x10;
        var frame = Packets.Ethernet(t.Pg0.Mac, TwoPortDataplane.HostA, 0x0800, Packets.Ip4("10.0.0.2", "10.0.1.2", 6, tcp));

        t.Dp.Inject(t.Pg0, frame, GsoType.TcpV4, 1000, checksumPartial: true, csumStart: 34, csumOffset: 16);

        Assert.Equal(segments, t.Out1.Count); // pg1 has no offloads: software segmentation
        Assert.Equal(0, t.Dp.BuffersInUse());
    }
}
