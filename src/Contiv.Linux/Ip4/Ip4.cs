using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Contiv.Linux;

/// <summary>An IPv4 address as a host-order integer, so that subnet arithmetic is plain integer math.</summary>
public readonly record struct Ip4(uint Value) : IComparable<Ip4>
{
    /// <summary>Parses a dotted-quad IPv4 address; <paramref name="what"/> names the input in the error.</summary>
    public static Ip4 Parse(string text, string what = "IPv4 address")
    {
        if (!TryParse(text, out var ip))
        {
            throw new FormatException($"{what}: '{text}' is not an IPv4 address");
        }

        return ip;
    }

    /// <summary>Parses without throwing.</summary>
    public static bool TryParse(string? text, out Ip4 ip)
    {
        ip = default;
        if (string.IsNullOrWhiteSpace(text) || !IPAddress.TryParse(text.Trim(), out var a) || a.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var b = a.GetAddressBytes();
        ip = new Ip4(((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3]);
        return true;
    }

    /// <summary>The host-order value, so an <see cref="Ip4"/> goes wherever a FIB key (<see cref="uint"/>) does.</summary>
    public static implicit operator uint(Ip4 ip) => ip.Value;

    /// <summary>The address shifted by <paramref name="delta"/>.</summary>
    public Ip4 Add(long delta) => new((uint)(Value + delta));

    /// <inheritdoc/>
    public int CompareTo(Ip4 other) => Value.CompareTo(other.Value);

    /// <summary>Dotted-quad form.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Value >> 24}.{(Value >> 16) & 0xff}.{(Value >> 8) & 0xff}.{Value & 0xff}");

    /// <summary>Ordering operator.</summary>
    public static bool operator <(Ip4 a, Ip4 b) => a.Value < b.Value;

    /// <summary>Ordering operator.</summary>
    public static bool operator >(Ip4 a, Ip4 b) => a.Value > b.Value;

    /// <summary>Ordering operator.</summary>
    public static bool operator <=(Ip4 a, Ip4 b) => a.Value <= b.Value;

    /// <summary>Ordering operator.</summary>
    public static bool operator >=(Ip4 a, Ip4 b) => a.Value >= b.Value;
}
