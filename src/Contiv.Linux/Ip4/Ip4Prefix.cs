using System.Globalization;

namespace Contiv.Linux;

/// <summary>
/// An IPv4 prefix "a.b.c.d/len", the one prefix type of the tree (agent IPAM, data plane FIB and
/// interface addresses). A prefix made by the constructor or <see cref="Parse"/> is a network: its
/// <see cref="Address"/> is the network address. An interface address (<see cref="InterfaceAddress"/>,
/// <see cref="ParseAddress"/>) keeps its host bits in <see cref="Address"/>; <see cref="Network"/> is
/// always the network. Equality compares <see cref="Address"/> and <see cref="Length"/>.
/// </summary>
public readonly record struct Ip4Prefix
{
    /// <summary>Creates a network prefix; host bits of <paramref name="address"/> are cleared.</summary>
    public Ip4Prefix(Ip4 address, int length)
        : this(address.Value, length, keepHostBits: false)
    {
    }

    private Ip4Prefix(uint address, int length, bool keepHostBits)
    {
        if (length is < 0 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "IPv4 prefix length must be 0..32");
        }

        Length = length;
        Address = new Ip4(keepHostBits ? address : address & MaskOf(length));
    }

    /// <summary>An interface address: <paramref name="address"/> (host order, host bits kept) with its prefix length.</summary>
    public static Ip4Prefix InterfaceAddress(uint address, int length) => new(address, length, keepHostBits: true);

    /// <summary>The address as given: the network address, or an interface address's own address.</summary>
    public Ip4 Address { get; }

    /// <summary>Network address (host bits cleared).</summary>
    public Ip4 Network => new(Address.Value & MaskOf(Length));

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

    /// <summary>True when the host-order address <paramref name="ip"/> lies in this prefix.</summary>
    public bool Contains(uint ip) => (ip & MaskOf(Length)) == Network.Value;

    /// <summary>
    /// Parses an interface address <c>a.b.c.d/len</c> keeping its host bits; a bare address means /32
    /// (VPP's CLI and the data plane's API accept both).
    /// </summary>
    public static bool TryParseAddress(string? text, out Ip4Prefix prefix)
    {
        prefix = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var len = 32;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out len) || len > 32))
        {
            return false;
        }

        var addr = slash >= 0 ? text[..slash] : text;
        if (!Ip4.TryParse(addr, out var ip) || !IsDottedQuad(addr))
        {
            return false;
        }

        prefix = InterfaceAddress(ip.Value, len);
        return true;
    }

    /// <summary>Parses an interface address (see <see cref="TryParseAddress"/>) or throws naming the value.</summary>
    public static Ip4Prefix ParseAddress(string text)
        => TryParseAddress(text, out var p) ? p : throw new FormatException($"invalid IPv4 prefix '{text}'");

    // IPAddress.TryParse also takes "10", "10.1" and hex forms; addresses here are four decimal octets.
    private static bool IsDottedQuad(string s)
    {
        var dots = 0;
        foreach (var c in s)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return dots == 3;
    }

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

    /// <summary>"a.b.c.d/len" (an interface address with its host bits).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{Length}");

    /// <summary>Netmask of a prefix length.</summary>
    public static uint MaskOf(int length) => length == 0 ? 0u : uint.MaxValue << (32 - length);
}
