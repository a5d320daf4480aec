using System.Buffers.Binary;
using System.Globalization;

namespace Contiv.Vpp.Ethernet;

/// <summary>A 48-bit MAC address held in the low 48 bits of a ulong (first octet most significant).</summary>
public readonly record struct MacAddress(ulong Value)
{
    /// <summary>ff:ff:ff:ff:ff:ff.</summary>
    public static readonly MacAddress Broadcast = new(0xffff_ffff_ffffUL);

    /// <summary>00:00:00:00:00:00.</summary>
    public static readonly MacAddress Zero = new(0);

    /// <summary>True for the group (multicast/broadcast) bit.</summary>
    public bool IsMulticast => ((Value >> 40) & 1) != 0;

    /// <summary>Reads 6 bytes.</summary>
    public static MacAddress Read(ReadOnlySpan<byte> b)
        => new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32) | BinaryPrimitives.ReadUInt32BigEndian(b[2..]));

    /// <summary>Writes 6 bytes.</summary>
    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(b[2..], (uint)Value);
    }

    /// <summary>The 6 bytes.</summary>
    public byte[] ToBytes()
    {
        var b = new byte[6];
        Write(b);
        return b;
    }

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c>, <c>aa-bb-…</c> or <c>aabb.ccdd.eeff</c>.</summary>
    public static bool TryParse(string? s, out MacAddress mac)
    {
        mac = Zero;
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        var hex = s.Replace(":", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal)
            .Replace(".", string.Empty, StringComparison.Ordinal);
        if (hex.Length != 12 || !ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
        {
            return false;
        }

        if (s.Contains('.', StringComparison.Ordinal) && s.Length != 14)
        {
            return false;
        }

        if (s.Contains(':', StringComparison.Ordinal) && s.Length != 17)
        {
            return false;
        }

        mac = new MacAddress(v);
        return true;
    }

    /// <summary>Parses or throws naming the value.</summary>
    public static MacAddress Parse(string s)
        => TryParse(s, out var m) ? m : throw new FormatException($"invalid MAC address '{s}'");

    /// <summary>A random locally administered unicast MAC starting with 02:fe (VPP's tap default).</summary>
    public static MacAddress Random02Fe() => new(0x02fe_0000_0000UL | (uint)System.Random.Shared.Next());

    /// <inheritdoc />
    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        Write(b);
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}");
    }
}
