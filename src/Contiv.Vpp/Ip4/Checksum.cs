using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Contiv.Vpp.Ip4;

/// <summary>Internet (ones' complement) checksum helpers.</summary>
public static class Checksum
{
    /// <summary>Ones' complement sum of <paramref name="data"/> (not folded, not inverted), plus <paramref name="initial"/>.</summary>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong initial = 0)
    {
        var sum = initial;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            // The ones' complement sum does not depend on byte order (RFC 1071): add little-endian
            // 32-bit words in 64-bit lanes, fold to 16 bits and swap the bytes once at the end.
            ref var start = ref MemoryMarshal.GetReference(data);
            var acc0 = Vector256<ulong>.Zero;
            var acc1 = Vector256<ulong>.Zero;
            for (; i + 64 <= data.Length; i += 64)
            {
                var (a, b) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                var (c, d) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)(i + 32)).AsUInt32());
                acc0 += a + b;
                acc1 += c + d;
            }

            sum += BinaryPrimitives.ReverseEndianness(Fold(Vector256.Sum(acc0 + acc1)));
        }

        // 32-bit words: the carries accumulate in the high half of the ulong.
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/> and returns the
    /// ones' complement sum of the bytes (as <see cref="Sum"/>) in the same pass over the data.
    /// </summary>
    public static ulong CopyAndSum(ReadOnlySpan<byte> source, Span<byte> destination, ulong initial = 0)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"destination ({destination.Length} bytes) is shorter than the source ({source.Length} bytes)", nameof(destination));
        }

        var i = 0;
        var sum = initial;
        if (Vector256.IsHardwareAccelerated && source.Length >= 64)
        {
            ref var src = ref MemoryMarshal.GetReference(source);
            ref var dst = ref MemoryMarshal.GetReference(destination);
            var acc0 = Vector256<ulong>.Zero;
            var acc1 = Vector256<ulong>.Zero;
            for (; i + 64 <= source.Length; i += 64)
            {
                var v0 = Vector256.LoadUnsafe(ref src, (nuint)i);
                var v1 = Vector256.LoadUnsafe(ref src, (nuint)(i + 32));
                v0.StoreUnsafe(ref dst, (nuint)i);
                v1.StoreUnsafe(ref dst, (nuint)(i + 32));
                var (a, b) = Vector256.Widen(v0.AsUInt32());
                var (c, d) = Vector256.Widen(v1.AsUInt32());
                acc0 += a + b;
                acc1 += c + d;
            }

            sum += BinaryPrimitives.ReverseEndianness(Fold(Vector256.Sum(acc0 + acc1)));
        }

        source[i..].CopyTo(destination[i..]);
        return Sum(source[i..], sum);
    }

    /// <summary>Folds a sum to 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>The checksum to write (inverted fold) of <paramref name="data"/>.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data, ulong initial = 0) => (ushort)~Fold(Sum(data, initial));

    /// <summary>RFC 1624 incremental update: a 16-bit word of the covered data changed from <paramref name="old"/> to <paramref name="new"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, ushort old, ushort @new)
    {
        var sum = (uint)(ushort)~checksum + (ushort)~old + @new;
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Pseudo-header sum for TCP/UDP over IPv4.</summary>
    public static ulong PseudoHeader(uint src, uint dst, byte protocol, int length)
        => (ulong)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + protocol + (uint)length;
}
