using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Contiv.Linux.Netlink;

/// <summary>
/// Builds one netlink request in a reusable buffer: header, fixed family struct, then attributes
/// (4-byte aligned, padding zeroed). Not thread-safe; the owner serialises use.
/// </summary>
internal sealed class NetlinkWriter
{
    private const int HeaderSize = 16;
    private byte[] _buffer = new byte[4096];
    private int _length;

    /// <summary>Starts a message of <paramref name="type"/>; NLM_F_REQUEST is added to <paramref name="flags"/>.</summary>
    public NetlinkWriter Begin(ushort type, ushort flags)
    {
        Array.Clear(_buffer, 0, HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), (ushort)(flags | Nl.NLM_F_REQUEST));
        _length = HeaderSize;
        return this;
    }

    /// <summary>Appends a fixed-size struct (ifinfomsg, rtmsg …).</summary>
    public void Write<T>(in T value)
        where T : unmanaged
    {
        var span = Reserve(Unsafe.SizeOf<T>());
        MemoryMarshal.Write(span, in value);
    }

    /// <summary>Appends an attribute with a raw payload.</summary>
    public void Attribute(ushort type, ReadOnlySpan<byte> payload)
    {
        var span = Reserve(4 + payload.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        payload.CopyTo(span[4..]);
    }

    /// <summary>Appends a 32-bit attribute (host byte order).</summary>
    public void AttributeU32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Attribute(type, b);
    }

    /// <summary>Appends an 8-bit attribute.</summary>
    public void AttributeU8(ushort type, byte value) => Attribute(type, [value]);

    /// <summary>Appends a NUL-terminated string attribute.</summary>
    public void AttributeString(ushort type, string value)
    {
        Span<byte> b = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length) + 1];
        var n = Encoding.UTF8.GetBytes(value, b);
        b[n] = 0;
        Attribute(type, b[..(n + 1)]);
    }

    /// <summary>Appends an IPv4/IPv6 address attribute (network byte order).</summary>
    public void AttributeAddress(ushort type, IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out var n))
        {
            throw new ArgumentException($"cannot encode address {address}", nameof(address));
        }

        Attribute(type, b[..n]);
    }

    /// <summary>Opens a nested attribute; close it with <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        var start = _length;
        var span = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        return start;
    }

    /// <summary>Closes a nested attribute opened at <paramref name="start"/>.</summary>
    public void EndNested(int start) => BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));

    /// <summary>Fills in length and sequence number and returns the finished message.</summary>
    public ReadOnlySpan<byte> Finish(uint seq)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), seq);
        return _buffer.AsSpan(0, _length);
    }

    private Span<byte> Reserve(int size)
    {
        var aligned = Align(size);
        if (_length + aligned > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + aligned));
        }

        var span = _buffer.AsSpan(_length, aligned);
        span.Clear();
        _length += aligned;
        return span[..size];
    }

    internal static int Align(int size) => (size + 3) & ~3;
}
