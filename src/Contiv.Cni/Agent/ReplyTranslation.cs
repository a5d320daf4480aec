using System.Net;
using Contiv.Cni.Protocol;
using Contiv.Model.Cni;

namespace Contiv.Cni.Agent;

/// <summary>Turns the agent's <see cref="CNIReply"/> into a version-independent <see cref="CniResult"/>.</summary>
public static class ReplyTranslation
{
    /// <summary>
    /// Interfaces keep the agent's order (MAC in canonical form, MTU when the agent knows it); each IP
    /// points at its interface; routes are copied;
    /// of several DNS entries the last one wins (as in the original plugin).
    /// </summary>
    /// <exception cref="CniException">Code 101 for a failure reply, 102 for an unusable one.</exception>
    public static CniResult ToResult(CNIReply reply)
    {
        if (reply.Result != 0)
        {
            throw new CniException(CniErrorCode.AgentRejected,
                $"agent refused the request (result {reply.Result}): {(reply.Error.Length > 0 ? reply.Error : "no error text")}");
        }

        var result = new CniResult();
        for (var i = 0; i < reply.Interfaces.Count; i++)
        {
            var iface = reply.Interfaces[i];
            if (iface.Name.Length == 0)
            {
                throw new CniException(CniErrorCode.AgentReplyInvalid, $"agent reply: interfaces[{i}] has no name");
            }

            string? mac = null;
            if (iface.Mac.Length > 0 && !MacAddressText.TryNormalize(iface.Mac, out mac))
            {
                throw new CniException(CniErrorCode.AgentReplyInvalid, $"agent reply: interface {iface.Name} MAC \"{iface.Mac}\" is not a MAC address");
            }

            result.Interfaces.Add(new CniInterface(iface.Name, mac, iface.Mtu > 0 ? (int)iface.Mtu : null, Empty(iface.Sandbox)));
            foreach (var ip in iface.IpAddresses)
            {
                if (!IPNetwork.TryParse(ip.Address, out _) || !ip.Address.Contains('/', StringComparison.Ordinal))
                {
                    throw new CniException(CniErrorCode.AgentReplyInvalid,
                        $"agent reply: interface {iface.Name} address \"{ip.Address}\" is not in CIDR notation");
                }

                result.Ips.Add(new CniIpConfig(ip.Address, Empty(ip.Gateway), i));
            }
        }

        foreach (var r in reply.Routes)
        {
            result.Routes.Add(new CniRoute(r.Dst, Empty(r.Gw)));
        }

        if (reply.Dns.Count > 0)
        {
            var d = reply.Dns[^1];
            result.Dns = new CniDns
            {
                Domain = Empty(d.Domain),
                Nameservers = [.. d.Nameservers],
                Search = [.. d.Search],
                Options = [.. d.Options],
            };
        }

        return result;
    }

    private static string? Empty(string s) => s.Length == 0 ? null : s;
}
