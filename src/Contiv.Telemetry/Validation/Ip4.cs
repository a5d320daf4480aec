using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Contiv.Telemetry.Validation;

/// <summary>IPv4 prefix arithmetic for the expectations of SPEC §2.2 (validation is not a hot path).</summary>
internal readonly record struct Ip4Net(uint Network, int Length)
{
    /// <summary>Parses "a.b.c.d/len" (host bits cleared); false for anything else.</summary>
    public static bool TryParse(string text, out Ip4Net net)
    {
        net = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !TryAddress(text[..slash], out var a)
            || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var len) || len > 32)
        {
            return false;
        }

        net = new Ip4Net(a & Mask(len), len);
        return true;
    }

    /// <summary>Parses "a.b.c.d" (or "a.b.c.d/len", ignoring the length).</summary>
    public static bool TryAddress(string text, out uint address)
    {
        address = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var s = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(s, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return false;
        }

        address = BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes());
        return true;
    }

    /// <summary>Host number <paramref name="n"/> of the network as "a.b.c.d".</summary>
    public string Host(uint n) => Format(Network + n);

    /// <summary>The <paramref name="index"/>-th subnet of length <paramref name="length"/> (SPEC §2.2 dissect: index 2^newBits wraps to 0).</summary>
    public Ip4Net Subnet(int length, uint index)
    {
        var newBits = length - Length;
        if (newBits <= 0 || newBits >= 32)
        {
            return this;
        }

        var i = index == 1u << newBits ? 0 : index;
        return new Ip4Net(Network + (i << (32 - length)), length);
    }

    /// <summary>True when the address is inside.</summary>
    public bool Contains(uint address) => (address & Mask(Length)) == Network;

    /// <summary>"a.b.c.d" of an address.</summary>
    public static string Format(uint a) => $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}";

    /// <summary>"a.b.c.d/len".</summary>
    public override string ToString() => $"{Format(Network)}/{Length}";

    private static uint Mask(int len) => len == 0 ? 0 : uint.MaxValue << (32 - len);
}
