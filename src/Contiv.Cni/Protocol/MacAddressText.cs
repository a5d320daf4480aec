using System.Globalization;
using System.Net.NetworkInformation;

namespace Contiv.Cni.Protocol;

/// <summary>
/// MAC addresses as CNI results carry them: six bytes, lower-case, colon-separated
/// (<c>02:fe:12:34:56:78</c>), the form Go's <c>net.ParseMAC</c> accepts and runtimes such as podman check.
/// </summary>
public static class MacAddressText
{
    /// <summary>
    /// Reads a 6-byte MAC written with colons or dashes (any case) and returns its canonical form;
    /// false for anything else (empty, wrong length, non-hex).
    /// </summary>
    public static bool TryNormalize(string? text, out string canonical)
    {
        canonical = string.Empty;
        if (text is null || text.Length != 17 || !PhysicalAddress.TryParse(text.Replace(':', '-'), out var mac))
        {
            return false;
        }

        var bytes = mac.GetAddressBytes();
        if (bytes.Length != 6)
        {
            return false;
        }

        canonical = string.Join(':', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        return true;
    }
}
