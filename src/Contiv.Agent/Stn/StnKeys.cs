using System.Globalization;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Stn;

/// <summary>Scheduler keys of the STN items of the data plane.</summary>
internal static class StnKeys
{
    /// <summary>Prefix of STN rules.</summary>
    public const string RulePrefix = "vpp/stn-rule/";

    /// <summary>Prefix of proxy ARP ranges.</summary>
    public const string ProxyArpPrefix = "vpp/proxy-arp/";

    /// <summary>Key of the STN rule of <paramref name="address"/>.</summary>
    public static string Rule(string address) => RulePrefix + address;

    /// <summary>Key of a proxy ARP range: VRF, first and last address.</summary>
    public static string ProxyArp(ProxyArpRange r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return string.Create(CultureInfo.InvariantCulture, $"{ProxyArpPrefix}vrf/{r.VrfId}/{r.FirstIp}-{r.LastIp}");
    }
}
