using System.Globalization;
using System.Net.NetworkInformation;

namespace Contiv.Linux;

/// <summary>MAC address text in the Linux style (<c>02:fe:12:34:56:78</c>).</summary>
public static class LinkAddress
{
    /// <summary>Formats a MAC address as lower-case, colon-separated hex.</summary>
    public static string Format(PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        return string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>Parses <c>02:fe:12:34:56:78</c> (or dash-separated) into a <see cref="PhysicalAddress"/>.</summary>
    /// <exception cref="FormatException">The text is not a MAC address.</exception>
    public static PhysicalAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PhysicalAddress.TryParse(text.Replace(':', '-'), out var mac) && mac.GetAddressBytes().Length > 0
            ? mac
            : throw new FormatException($"'{text}' is not a MAC address");
    }
}
