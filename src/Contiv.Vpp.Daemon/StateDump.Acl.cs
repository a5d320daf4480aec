using Contiv.Model.Vpp;
using Contiv.Vpp.Ip4;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Daemon;

// ACLs back as API messages (Dump kind ACLS), in a canonical form: prefixes always "a.b.c.d/len"
// (0.0.0.0/0 for any), port ranges 0/0 for any port and lower = upper for a single port.
internal sealed partial class StateDump
{
    private void DumpAcls(DumpReply reply)
    {
        foreach (var a in _dp.Acls)
        {
            var m = new Api.Acl { Name = a.Tag };
            foreach (var r in a.Rules)
            {
                m.Rules.Add(ApiRule(r));
            }

            m.IngressInterfaces.AddRange(a.Ingress);
            m.EgressInterfaces.AddRange(a.Egress);
            reply.Acls.Add(m);
        }
    }

    internal static Api.AclRule ApiRule(Contiv.Vpp.Acl.AclRule r)
    {
        var any = (Low: (ushort)0, High: ushort.MaxValue);
        return new Api.AclRule
        {
            Action = r.Action switch
            {
                Contiv.Vpp.Acl.AclAction.Permit => AclAction.Permit,
                Contiv.Vpp.Acl.AclAction.PermitReflect => AclAction.Reflect,
                _ => AclAction.Deny,
            },
            SourceNetwork = $"{Ip4Address.Format(r.SrcAddress)}/{r.SrcLength}",
            DestinationNetwork = $"{Ip4Address.Format(r.DstAddress)}/{r.DstLength}",
            Protocol = r.Protocol,
            SrcPortLower = (r.SrcPortLow, r.SrcPortHigh) == any ? 0u : r.SrcPortLow,
            SrcPortUpper = (r.SrcPortLow, r.SrcPortHigh) == any ? 0u : r.SrcPortHigh,
            DstPortLower = (r.DstPortLow, r.DstPortHigh) == any ? 0u : r.DstPortLow,
            DstPortUpper = (r.DstPortLow, r.DstPortHigh) == any ? 0u : r.DstPortHigh,
            TcpFlagsMask = r.TcpFlagsMask,
            TcpFlagsValue = r.TcpFlagsValue,
        };
    }
}
