using System.Globalization;
using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Formatting helpers.</summary>
internal static class LinuxFormat
{
    public static string Prefix(Ip4 ip, int len) => string.Create(CultureInfo.InvariantCulture, $"{ip}/{len}");
}
