using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Contiv.Linux.Netlink;

/// <summary>Iterates the attributes (struct rtattr / nlattr) in a span.</summary>
internal ref struct AttributeReader(ReadOnlySpan<byte> attributes)
{
    private ReadOnlySpan<byte> _rest = attributes;

    /// <summary>Reads the next attribute; false at the end or at a malformed header.</summary>
    public bool Next(out ushort type, out ReadOnlySpan<byte> payload)
    {
        type = 0;
        payload = default;
        if (_rest.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
        if (length < 4 || length > _rest.Length)
        {
            return false;
        }

        // Strip NLA_F_NESTED and NLA_F_NET_BYTEORDER.
        type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]) & 0x3fff);
        payload = _rest[4..length];
        var advance = Math.Min(NetlinkWriter.Align(length), _rest.Length);
        _rest = _rest[advance..];
        return true;
    }
}

/// <summary>Decoders for attribute payloads.</summary>
internal static class AttributeValue
{
    public static uint U32(ReadOnlySpan<byte> p) => p.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(p) : 0;

    public static ulong U64(ReadOnlySpan<byte> p) => p.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(p) : 0;

    public static byte U8(ReadOnlySpan<byte> p) => p.Length >= 1 ? p[0] : (byte)0;

    public static string String(ReadOnlySpan<byte> p)
    {
        var nul = p.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? p[..nul] : p);
    }

    public static IPAddress? Address(ReadOnlySpan<byte> p) => p.Length is 4 or 16 ? new IPAddress(p) : null;
}
