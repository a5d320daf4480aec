using System.Globalization;

namespace Contiv.Vpp.Cli;

/// <summary>Column helpers shared by the command modules (VPP's printf idioms).</summary>
internal static class CliFormat
{
    /// <summary>Centres <paramref name="s"/> in <paramref name="width"/> columns (VPP's %=Ns).</summary>
    internal static string Center(string s, int width)
    {
        if (s.Length >= width)
        {
            return s;
        }

        var left = (width - s.Length) / 2;
        return new string(' ', left) + s + new string(' ', width - s.Length - left);
    }

    /// <summary>VPP's compact exponent format (<c>2.31e3</c>, <c>0.0000e0</c>).</summary>
    internal static string Exp(double v, int digits)
    {
        if (v == 0)
        {
            return "0." + new string('0', digits) + "e0";
        }

        var e = (int)Math.Floor(Math.Log10(Math.Abs(v)));
        var m = v / Math.Pow(10, e);
        if (Math.Round(m, digits) >= 10)
        {
            m /= 10;
            e++;
        }

        return m.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "e" + e.ToString(CultureInfo.InvariantCulture);
    }
}
