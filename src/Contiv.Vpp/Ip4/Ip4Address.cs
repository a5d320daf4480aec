using System.Globalization;

namespace Contiv.Vpp.Ip4;

/// <summary>IPv4 helpers over host-order <see cref="uint"/> addresses (the FIB's key type).</summary>
public static class Ip4Address
{
    /// <summary>Parses a dotted quad into a host-order uint.</summary>
    public static bool TryParse(string? s, out uint addr)
    {
        addr = 0;
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (var p in parts)
        {
            if (p.Length == 0 || p.Length > 3 || !uint.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var o) || o > 255)
            {
                return false;
            }

            addr = (addr << 8) | o;
        }

        return true;
    }

    /// <summary>Parses or throws naming the value.</summary>
    public static uint Parse(string s) => TryParse(s, out var a) ? a : throw new FormatException($"invalid IPv4 address '{s}'");

    /// <summary>Formats a host-order address.</summary>
    public static string Format(uint a)
        => string.Create(CultureInfo.InvariantCulture, $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}");

    /// <summary>Netmask of a prefix length (0..32).</summary>
    public static uint Mask(int len) => len == 0 ? 0 : uint.MaxValue << (32 - len);
}
