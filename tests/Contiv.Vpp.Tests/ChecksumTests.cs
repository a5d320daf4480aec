using System.Buffers.Binary;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>The vectorised ones' complement sum against the textbook 16-bit loop.</summary>
public sealed class ChecksumTests
{
    private static ulong Reference(ReadOnlySpan<byte> data, ulong initial)
    {
        var sum = initial;
        var i = 0;
        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(1500)]
    [InlineData(1501)]
    [InlineData(65535)]
    public void Sum_matches_the_16_bit_reference_for_every_length_and_alignment(int length)
    {
        var rng = new Random(length);
        var data = new byte[length + 3];
        rng.NextBytes(data);
        for (var shift = 0; shift < 3; shift++)
        {
            var span = data.AsSpan(shift, length);
            var initial = (ulong)rng.Next();
            Assert.Equal(Checksum.Fold(Reference(span, initial)), Checksum.Fold(Checksum.Sum(span, initial)));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(1398)]
    [InlineData(65000)]
    public void CopyAndSum_copies_exactly_and_sums_like_Sum(int length)
    {
        var rng = new Random(length + 7);
        var src = new byte[length + 1];
        rng.NextBytes(src);
        var dst = new byte[length + 17];
        var source = src.AsSpan(1, length);
        var sum = Checksum.CopyAndSum(source, dst.AsSpan(5), 12345);
        Assert.True(source.SequenceEqual(dst.AsSpan(5, length)));
        Assert.All(dst.AsSpan(0, 5).ToArray().Concat(dst.AsSpan(5 + length).ToArray()), b => Assert.Equal(0, b));
        Assert.Equal(Checksum.Fold(Reference(source, 12345)), Checksum.Fold(sum));
    }

    [Fact]
    public void All_ones_data_folds_without_losing_carries()
    {
        var data = new byte[65536];
        data.AsSpan().Fill(0xff);
        Assert.Equal(0xffff, Checksum.Fold(Checksum.Sum(data)));
        data[100] = 0xfe;
        Assert.Equal(Checksum.Fold(Reference(data, 0)), Checksum.Fold(Checksum.Sum(data)));
    }
}
