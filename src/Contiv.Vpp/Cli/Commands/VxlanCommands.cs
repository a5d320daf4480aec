using System.Globalization;
using System.Text;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Vxlan;

namespace Contiv.Vpp.Cli.Commands;

/// <summary>CLI module, VXLAN tunnels: create vxlan tunnel, show vxlan tunnel.</summary>
internal sealed class VxlanCommands(Dataplane dp) : ICliModule
{
    private readonly Dataplane _dp = dp;

    /// <inheritdoc />
    public void Register(CliEngine cli)
    {
        cli.Register("create vxlan tunnel", "create vxlan tunnel src <local-vtep-addr> dst <remote-vtep-addr> vni <nn> [instance <id>] [encap-vrf-id <nn>] [del]", CreateVxlan);
        cli.Register("show vxlan tunnel", "show vxlan tunnel", ShowVxlan);
    }

    private string CreateVxlan(CliArgs a)
    {
        uint? src = null, dst = null, vni = null;
        uint vrf = 0;
        int? instance = null;
        var del = false;
        while (!a.AtEnd)
        {
            if (a.Keyword("src"))
            {
                src = a.Ip4("src address");
            }
            else if (a.Keyword("dst"))
            {
                dst = a.Ip4("dst address");
            }
            else if (a.Keyword("vni"))
            {
                vni = a.UInt("vni");
            }
            else if (a.Keyword("encap-vrf-id"))
            {
                vrf = a.UInt("encap-vrf-id");
            }
            else if (a.Keyword("instance"))
            {
                instance = (int)a.UInt("instance");
            }
            else if (a.Keyword("decap-next"))
            {
                if (!a.Keyword("l2"))
                {
                    throw new CliException($"only decap-next l2 is supported, got `{a.Rest}'");
                }
            }
            else if (a.Keyword("del"))
            {
                del = true;
            }
            else
            {
                throw new CliException($"unknown input `{a.Rest}'");
            }
        }

        if (vni is null)
        {
            throw new CliException("vni not specified");
        }

        if (src is null || dst is null)
        {
            throw new CliException("tunnel src and dst addresses must be specified");
        }

        if (del)
        {
            foreach (var i in _dp.Interfaces)
            {
                if (i.Device is VxlanDevice d && d.Tunnel.Src == src && d.Tunnel.Dst == dst && d.Tunnel.Vni == vni)
                {
                    _dp.DeleteInterface(i);
                    return string.Empty;
                }
            }

            throw new CliException("tunnel does not exist...");
        }

        return _dp.CreateVxlanTunnel(src.Value, dst.Value, vni.Value, vrf, instance).DevName;
    }

    private string ShowVxlan(CliArgs a)
    {
        var sb = new StringBuilder();
        foreach (var i in _dp.Interfaces)
        {
            if (i.Device is VxlanDevice d)
            {
                var t = d.Tunnel;
                sb.Append(CultureInfo.InvariantCulture, $"[{t.Instance}] instance {t.Instance} src {Ip4Address.Format(t.Src)} dst {Ip4Address.Format(t.Dst)} src_port 4789 dst_port 4789 vni {t.Vni} fib-idx {t.EncapFibIndex} sw-if-idx {t.SwIfIndex} encap-dpo-idx {t.SwIfIndex}\n");
            }
        }

        return sb.Length == 0 ? "No vxlan tunnels configured..." : sb.ToString();
    }
}
