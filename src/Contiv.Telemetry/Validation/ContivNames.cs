using System.Globalization;

namespace Contiv.Telemetry.Validation;

/// <summary>Object names and per-node values the agent uses (SPEC §2.4–§2.6); what the validators expect.</summary>
internal static class ContivNames
{
    /// <summary>The VXLAN bridge domain.</summary>
    public const string VxlanBd = "vxlanBD";

    /// <summary>The BVI of <see cref="VxlanBd"/>.</summary>
    public const string VxlanBvi = "vxlanBVI";

    /// <summary>The data plane end of the host interconnect.</summary>
    public const string HostTap = "tap-vpp2";

    /// <summary>Prefix of pod TAPs.</summary>
    public const string PodTapPrefix = "vpp-tap-";

    /// <summary>Main VRF.</summary>
    public const uint MainVrf = 0;

    /// <summary>Pod VRF.</summary>
    public const uint PodVrf = 1;

    /// <summary>The tunnel towards node <paramref name="id"/>.</summary>
    public static string Tunnel(uint id) => "vxlan-default-" + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The BVI MAC of node <paramref name="id"/>: <c>12:2b</c> + the ID as 4 bytes big-endian.</summary>
    public static string BviMac(uint id) => string.Create(CultureInfo.InvariantCulture, $"12:2b:{(id >> 24) & 255:x2}:{(id >> 16) & 255:x2}:{(id >> 8) & 255:x2}:{id & 255:x2}");

    /// <summary>MACs compare case-insensitively and with '-' or ':' separators.</summary>
    public static bool SameMac(string a, string b) => string.Equals(a.Replace('-', ':'), b.Replace('-', ':'), StringComparison.OrdinalIgnoreCase);
}
