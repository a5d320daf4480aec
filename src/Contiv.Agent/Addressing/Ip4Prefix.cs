using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Contiv.Agent.Addressing;

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

/// <summary>An IPv4 network "a.b.c.d/len" (the address is always the network address).</summary>
public readonly record struct Ip4Prefix
{
    /// <summary>Creates a prefix; host bits of <paramref name="address"/> are cleared.</summary>
    public Ip4Prefix(Ip4 address, int length)
    {
        if (length is < 0 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "IPv4 prefix length must be 0..32");
        }

        Length = length;
        Network = new Ip4(address.Value & MaskOf(length));
    }

    /// <summary>Network address.</summary>
    public Ip4 Network { get; }

    /// <summary>Prefix length in bits.</summary>
    public int Length { get; }

    /// <summary>Number of host bits (32 − length).</summary>
    public int HostBits => 32 - Length;

    /// <summary>Number of addresses in the prefix.</summary>
    public long Size => 1L << HostBits;

    /// <summary>The broadcast (last) address.</summary>
    public Ip4 Broadcast => new(Network.Value | ~MaskOf(Length));

    /// <summary>Parses "a.b.c.d/len"; a bare address is rejected. <paramref name="what"/> names the input in errors.</summary>
    public static Ip4Prefix Parse(string text, string what = "IPv4 prefix")
    {
        var (ip, len) = ParseAddressAndLength(text, what);
        return new Ip4Prefix(ip, len);
    }

    /// <summary>Parses "a.b.c.d/len" keeping the host part (an interface address), returning address and prefix.</summary>
    public static (Ip4 Address, int Length) ParseAddressAndLength(string text, string what = "IPv4 address with prefix")
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ip4.TryParse(text[..slash], out var ip)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var len) || len > 32)
        {
            throw new FormatException($"{what}: '{text}' is not an IPv4 prefix (a.b.c.d/len)");
        }

        return (ip, len);
    }

    /// <summary>Tries to parse "a.b.c.d/len".</summary>
    public static bool TryParse(string? text, out Ip4Prefix prefix)
    {
        prefix = default;
        if (text is null)
        {
            return false;
        }

        try
        {
            prefix = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="ip"/> lies in this prefix.</summary>
    public bool Contains(Ip4 ip) => (ip.Value & MaskOf(Length)) == Network.Value;

    /// <summary>True when the two prefixes share any address.</summary>
    public bool Overlaps(Ip4Prefix other) => Contains(other.Network) || other.Contains(Network);

    /// <summary>Host number <paramref name="n"/> of the prefix (network + n); fails when outside.</summary>
    public Ip4 Host(long n)
    {
        if (n < 0 || n >= Size)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"host #{n} is outside {this}");
        }

        return Network.Add(n);
    }

    /// <summary>The <paramref name="index"/>-th subnet of length <paramref name="length"/> inside this prefix.</summary>
    public Ip4Prefix Subnet(int length, long index)
    {
        if (length < Length || length > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"subnet length must be within {Length}..32 for {this}");
        }

        var count = 1L << (length - Length);
        if (index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{this} has only {count} subnets of length /{length}");
        }

        return new Ip4Prefix(Network.Add(index << (32 - length)), length);
    }

    /// <summary>"a.b.c.d/len".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Network}/{Length}");

    /// <summary>Netmask of a prefix length.</summary>
    public static uint MaskOf(int length) => length == 0 ? 0u : uint.MaxValue << (32 - length);
}
