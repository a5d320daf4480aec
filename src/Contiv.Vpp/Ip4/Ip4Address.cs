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

/// <summary>An IPv4 prefix (address + length); <see cref="Address"/> may have host bits (interface addresses).</summary>
public readonly record struct Ip4Prefix(uint Address, int Length)
{
    /// <summary>The network address (host bits cleared).</summary>
    public uint Network => Address & Ip4Address.Mask(Length);

    /// <summary>The directed broadcast address.</summary>
    public uint Broadcast => Network | ~Ip4Address.Mask(Length);

    /// <summary>True when <paramref name="a"/> is inside the prefix.</summary>
    public bool Contains(uint a) => (a & Ip4Address.Mask(Length)) == Network;

    /// <summary>Parses <c>a.b.c.d/len</c> (a bare address means /32).</summary>
    public static bool TryParse(string? s, out Ip4Prefix p)
    {
        p = default;
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        var slash = s.IndexOf('/', StringComparison.Ordinal);
        var len = 32;
        if (slash >= 0 && (!int.TryParse(s.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out len) || len > 32))
        {
            return false;
        }

        if (!Ip4Address.TryParse(slash >= 0 ? s[..slash] : s, out var a))
        {
            return false;
        }

        p = new Ip4Prefix(a, len);
        return true;
    }

    /// <summary>Parses or throws naming the value.</summary>
    public static Ip4Prefix Parse(string s) => TryParse(s, out var p) ? p : throw new FormatException($"invalid IPv4 prefix '{s}'");

    /// <inheritdoc />
    public override string ToString() => $"{Ip4Address.Format(Address)}/{Length.ToString(CultureInfo.InvariantCulture)}";
}
