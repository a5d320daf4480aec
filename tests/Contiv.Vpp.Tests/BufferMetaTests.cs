using System.Runtime.CompilerServices;
using Contiv.Vpp.Buffers;

namespace Contiv.Vpp.Tests;

/// <summary>Per-packet metadata stays within one cache line.</summary>
public sealed class BufferMetaTests
{
    [Fact]
    public void Buffer_metadata_fits_in_one_cache_line()
        => Assert.True(Unsafe.SizeOf<BufferMeta>() <= 64, $"BufferMeta is {Unsafe.SizeOf<BufferMeta>()} bytes");
}
