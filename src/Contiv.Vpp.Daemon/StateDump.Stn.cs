using Contiv.Model.Vpp;
using Contiv.Vpp.Ip4;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Daemon;

// STN punt rules back as API messages (Dump kind STN_RULES), interfaces by their client name.
internal sealed partial class StateDump
{
    private void DumpStnRules(DumpReply reply)
    {
        foreach (var r in _dp.StnRules)
        {
            reply.StnRules.Add(new Api.StnRule { IpAddress = Ip4Address.Format(r.Address), Interface = r.Interface });
        }
    }
}
