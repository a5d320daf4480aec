using Contiv.Model.Vpp;
using Contiv.Vpp.Ip4;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Daemon;

// STN punt rules of dataplane.proto (stn_rule.proto): PUT adds the rule of an address or moves it to another
// interface, DELETE needs only the address.
internal sealed partial class ConfigApplier
{
    private OpResult PutStnRule(Api.StnRule m)
    {
        var address = StnAddress(m);
        _dp.PutStnRule(address, Require(m.Interface, $"STN rule {m.IpAddress}"));
        return Ok();
    }

    private OpResult DeleteStnRule(Api.StnRule m)
        => _dp.DeleteStnRule(StnAddress(m)) ? Ok() : NotFound($"STN rule for {m.IpAddress} does not exist");

    private static uint StnAddress(Api.StnRule m)
        => Ip4Address.TryParse(m.IpAddress, out var a)
            ? a
            : throw new FormatException($"STN rule: ip_address '{m.IpAddress}' is not an IPv4 address");
}
